// `vigil`: the console by default, plus the scriptable subcommands. See Commands/.
VigilCommand.main()
