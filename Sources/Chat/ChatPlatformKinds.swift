import Core

extension ChatAdapters {
    /// What the manifests may name of each platform (`chat.<id>` keys, routes): the catalog's chat part.
    package static var kinds: [ChatPlatformKind] { builtIn.map(\.kind) }
}

extension ChatConfig {
    /// A configuration with these platforms' blocks, as the manifests would give it (tests, benchmarks).
    package init(slack: SlackSettings? = nil, matrix: MatrixSettings? = nil) {
        self.init()
        self.slack = slack
        self.matrix = matrix
    }
}
