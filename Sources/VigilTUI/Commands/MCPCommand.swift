import ArgumentParser
import Foundation
import MCP
import VigilCore
import VigilWire

/// `vigil mcp`: the assistant's read-only tools (`FleetTools`) served over the Model Context Protocol on standard
/// input and output, so an engineer's own AI assistant can query Vigil (docs/mcp.md). Nothing it offers changes
/// anything: `propose_runbook` only plans.
struct MCPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve Vigil's read-only tools (fleet, metrics, alerts, logs, incidents, runbook proposals) over MCP on stdin/stdout (docs/mcp.md)."
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var catalog: RunbookCommand.CatalogOptions

    func run() throws {
        let store = try self.store.open()
        let catalog = catalog.load()
        // The person whose role the proposals' safety verdicts are checked against. Only looked up: serving MCP
        // never writes, not even the first-user bootstrap.
        let name = Operator.osUserName()
        let role = try Blocking.run { try await store.user(named: name)?.role } ?? .viewer
        let tools = FleetTools(store: store, catalog: catalog, requester: .user(name: name, role: role))
        try Blocking.run { try await MCPToolServer.serve(tools) }
    }
}

/// The MCP server over stdio (the official Swift SDK): `initialize`, `tools/list`, `tools/call`.
enum MCPToolServer {
    static let instructions = """
        Vigil is an operations console. These tools read its store: the fleet's hosts, metrics, alerts, logs, \
        topology inferred from observed data, and remembered incidents. propose_runbook plans a remediation and \
        returns its safety verdict; it never runs or queues anything.
        """

    /// Serves until standard input closes, then lets calls in progress answer.
    static func serve(_ tools: FleetTools) async throws {
        let server = Server(name: "vigil", version: VigilVersion.current, title: "Vigil", instructions: instructions,
                            capabilities: .init(tools: .init(listChanged: false)))
        let inFlight = InFlightCalls()
        let listed = tools.definitions.map(mcpTool)
        await server.withMethodHandler(ListTools.self) { _ in
            ListTools.Result(tools: listed)
        }
        await server.withMethodHandler(CallTool.self) { params in
            inFlight.add(1)
            defer { inFlight.add(-1) }
            let arguments = (params.arguments ?? [:]).mapValues(JSONValue.init(mcp:))
            let result = await tools.call(name: params.name, arguments: arguments)
            let structured: MCP.Value? = result.isError ? nil : result.value.mcpValue
            return CallTool.Result(content: [.text(text: result.text, annotations: nil, _meta: nil)],
                                   structuredContent: structured, isError: result.isError)
        }
        try await server.start(transport: StdioTransport())
        await server.waitUntilCompleted()
        // Standard input closed. The SDK answers each request in its own task: give those still running time to
        // write their answers before the process exits.
        for _ in 0..<300 where inFlight.count > 0 { try? await Task.sleep(for: .milliseconds(100)) }
        try? await Task.sleep(for: .milliseconds(200))
        await server.stop()
    }

    static func mcpTool(_ d: ToolDefinition) -> MCP.Tool {
        MCP.Tool(name: d.name, description: d.description, inputSchema: d.inputSchema.mcpValue,
                 annotations: .init(readOnlyHint: d.readOnly, destructiveHint: false, idempotentHint: true, openWorldHint: false))
    }
}

/// How many tool calls are being answered.
final class InFlightCalls: Sendable {
    private let n = Locked(0)
    func add(_ d: Int) { n.withLock { $0 += d } }
    var count: Int { n.withLock { $0 } }
}

extension JSONValue {
    /// The SDK's value (integral numbers as integers).
    var mcpValue: MCP.Value {
        switch self {
        case .null: .null
        case .bool(let b): .bool(b)
        case .number(let d): d == d.rounded() && abs(d) < 1e15 ? .int(Int(d)) : .double(d)
        case .string(let s): .string(s)
        case .array(let a): .array(a.map(\.mcpValue))
        case .object(let o): .object(o.mapValues(\.mcpValue))
        }
    }

    /// From the SDK's value; binary data becomes its base64 text.
    init(mcp v: MCP.Value) {
        switch v {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .number(Double(i))
        case .double(let d): self = .number(d)
        case .string(let s): self = .string(s)
        case .data(_, let data): self = .string(data.base64EncodedString())
        case .array(let a): self = .array(a.map(JSONValue.init(mcp:)))
        case .object(let o): self = .object(o.mapValues(JSONValue.init(mcp:)))
        }
    }
}
