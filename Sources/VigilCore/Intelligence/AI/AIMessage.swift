/// One message of a chat-completions conversation.
public struct AIMessage: Sendable, Equatable {
    public enum Role: String, Sendable, Equatable {
        case system, user, assistant, tool
    }

    public var role: Role
    public var content: String
    /// For an assistant message: the tools it asked to call.
    public var toolCalls: [AIToolCall]
    /// For a tool message: the call it answers.
    public var toolCallID: String?

    public init(role: Role, content: String, toolCalls: [AIToolCall] = [], toolCallID: String? = nil) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
    }

    public static func system(_ text: String) -> AIMessage { AIMessage(role: .system, content: text) }
    public static func user(_ text: String) -> AIMessage { AIMessage(role: .user, content: text) }
    public static func assistant(_ text: String, toolCalls: [AIToolCall] = []) -> AIMessage {
        AIMessage(role: .assistant, content: text, toolCalls: toolCalls)
    }
    /// The result of tool call `id`.
    public static func tool(id: String, _ text: String) -> AIMessage { AIMessage(role: .tool, content: text, toolCallID: id) }
}

/// A function the model asked to call; `arguments` is the JSON text the model wrote (not validated here).
public struct AIToolCall: Sendable, Equatable {
    public var id: String
    public var name: String
    public var arguments: String

    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}

/// A function the model may call: a name, what it does, and its parameters as a JSON Schema (JSON text).
public struct AITool: Sendable, Equatable {
    public var name: String
    public var description: String
    public var parametersSchema: String

    public init(name: String, description: String, parametersSchema: String = #"{"type":"object","properties":{}}"#) {
        self.name = name
        self.description = description
        self.parametersSchema = parametersSchema
    }
}

/// Token counts of one call: the server's `usage` when it sent one, else estimates.
public struct AIUsage: Sendable, Equatable {
    public var promptTokens: Int
    public var completionTokens: Int
    /// True when the counts are Vigil's estimates (the server sent no `usage`).
    public var estimated: Bool

    public init(promptTokens: Int, completionTokens: Int, estimated: Bool) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.estimated = estimated
    }
}

/// A finished answer.
public struct AIResponse: Sendable, Equatable {
    public var content: String
    public var toolCalls: [AIToolCall]
    /// `stop`, `length`, `tool_calls`, … as the server said; empty when it did not.
    public var finishReason: String
    public var model: String
    public var usage: AIUsage
    /// HTTP attempts made (1 when the first one succeeded).
    public var attempts: Int
    public var latencyMs: Int
    /// Secrets replaced before sending.
    public var redactions: Int
    /// Messages left out to fit the context budget.
    public var droppedMessages: Int

    public init(content: String, toolCalls: [AIToolCall] = [], finishReason: String = "stop", model: String, usage: AIUsage, attempts: Int = 1,
                latencyMs: Int = 0, redactions: Int = 0, droppedMessages: Int = 0) {
        self.content = content
        self.toolCalls = toolCalls
        self.finishReason = finishReason
        self.model = model
        self.usage = usage
        self.attempts = attempts
        self.latencyMs = latencyMs
        self.redactions = redactions
        self.droppedMessages = droppedMessages
    }
}

/// What `AIClient.stream` yields.
public enum AIStreamEvent: Sendable, Equatable {
    /// The next piece of the answer's text.
    case text(String)
    /// A complete tool call (its streamed pieces assembled), once the answer is finished.
    case toolCall(AIToolCall)
    /// The server said 429/5xx (or the connection failed); the client waits `afterMs` then tries again.
    case retrying(attempt: Int, afterMs: Int, reason: String)
    /// The whole answer; always the last event of a successful stream.
    case done(AIResponse)
}

/// Why an AI call did not produce a usable answer. `description` is a sentence for the operator.
public struct AIError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// No API key configured.
        case noKey
        /// Connect, idle or total timeout.
        case timeout
        /// The server answered with this status (after any retries).
        case http(Int)
        /// No HTTP answer (refused, DNS, TLS, connection reset).
        case transport
        case cancelled
        /// The server's answer was not a chat completion.
        case badResponse
        /// The answer was well-formed but failed the feature's validation.
        case rejected
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// How the call log records it.
    public var outcome: AICallOutcome {
        switch kind {
        case .noKey: .noKey
        case .timeout: .timeout
        case .rejected: .rejected
        case .cancelled: .cancelled
        case .http, .transport, .badResponse: .error
        }
    }
}

/// An answer that failed a feature's validation, saying why (shown to the operator, kept in the call log).
public struct AIRejection: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
