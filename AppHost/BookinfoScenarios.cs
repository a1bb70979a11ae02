using LocalMesh.Emulator.Configuration;

/// <summary>One scenario: what it shows, and what it changes.</summary>
/// <param name="Description">What the scenario shows.</param>
/// <param name="Routes">VirtualService routes by service.</param>
/// <param name="Policies">DestinationRule traffic policies by service.</param>
/// <param name="LoadOnStart">Whether the load client runs against details at start.</param>
/// <param name="PeerAuthentications">The mesh's PeerAuthentication policies.</param>
/// <param name="AuthorizationPolicies">The mesh's AuthorizationPolicies.</param>
public sealed record Scenario(
    string Description,
    IReadOnlyDictionary<string, HttpRoute[]> Routes,
    IReadOnlyDictionary<string, TrafficPolicy>? Policies = null,
    bool LoadOnStart = false,
    PeerAuthentication[]? PeerAuthentications = null,
    AuthorizationPolicy[]? AuthorizationPolicies = null);

/// <summary>
/// Istio's bookinfo tasks as scenarios of the sample: <c>dotnet run --project AppHost --
/// --scenario &lt;name&gt;</c>. Each is the routes Istio's task applies, written with LocalMesh's
/// records; the subsets (destination-rule-all) are always declared.
/// </summary>
public static class BookinfoScenarios
{
    /// <summary>The subsets bookinfo's destination-rule-all declares, by service.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Subsets = new Dictionary<string, string[]>
    {
        ["productpage"] = ["v1"],
        ["details"] = ["v1"],
        ["reviews"] = ["v1", "v2", "v3"],
        ["ratings"] = ["v1"],
        ["inventory"] = ["v1", "v2"],
    };

    private static readonly Dictionary<string, StringMatch> Jason = new() { ["end-user"] = StringMatch.Exact("jason") };

    /// <summary>Istio's circuit-breaking task: one connection, one pending request, no keep-alive; eject after one error.</summary>
    public static readonly TrafficPolicy CircuitBreaker = new()
    {
        ConnectionPool = new ConnectionPoolSettings
        {
            Tcp = new TcpSettings { MaxConnections = 1 },
            Http = new HttpSettings { Http1MaxPendingRequests = 1, MaxRequestsPerConnection = 1 },
        },
        OutlierDetection = new OutlierDetection
        {
            Consecutive5xxErrors = 1,
            Interval = TimeSpan.FromSeconds(1),
            BaseEjectionTime = TimeSpan.FromMinutes(3),
            MaxEjectionPercent = 100,
        },
    };

    /// <summary>Every scenario, by the name <c>--scenario</c> takes.</summary>
    public static readonly IReadOnlyDictionary<string, Scenario> All =
        new Dictionary<string, Scenario>
        {
            ["reviews-v1"] = new(
                "Request routing, step 1: every request to reviews goes to v1 (no stars).",
                Rules(("reviews", [To("reviews", "v1")]))),
            ["reviews-v2-for-jason"] = new(
                "Request routing: jason (header end-user) sees reviews v2 (black stars), everyone else v1.",
                Rules(("reviews", JasonToV2ElseV1))),
            ["reviews-50-v3"] = new(
                "Traffic shifting, step 1: reviews split 50/50 between v1 and v3 (red stars).",
                Rules(("reviews", [Weighted("reviews", ("v1", 50), ("v3", 50))]))),
            ["reviews-v3"] = new(
                "Traffic shifting, step 2: every request to reviews goes to v3 (red stars).",
                Rules(("reviews", [To("reviews", "v3")]))),
            ["reviews-timeout"] = new(
                "Request timeouts: reviews (v2) times out after 0.5 s while ratings is delayed 2 s; the page answers in about 1 s without reviews.",
                Rules(
                    ("reviews", [To("reviews", "v2") with { Timeout = TimeSpan.FromSeconds(0.5) }]),
                    ("ratings", [To("ratings", "v1") with { Fault = new HttpFaultInjection { Delay = new FaultDelay(TimeSpan.FromSeconds(2), 100) } }]))),
            ["ratings-delay-for-jason"] = new(
                "Fault injection, delay: ratings is delayed 7 s for jason; productpage gives up on reviews after about 6 s (3 s timeout, one retry).",
                Rules(
                    ("reviews", JasonToV2ElseV1),
                    ("ratings",
                    [
                        To("ratings", "v1") with
                        {
                            Match = [new HttpMatchRequest { Headers = Jason }],
                            Fault = new HttpFaultInjection { Delay = new FaultDelay(TimeSpan.FromSeconds(7), 100) },
                        },
                        To("ratings", "v1"),
                    ]))),
            ["ratings-abort-for-jason"] = new(
                "Fault injection, abort: ratings answers 500 for jason; the page loads at once with \"Ratings service is currently unavailable\".",
                Rules(
                    ("reviews", JasonToV2ElseV1),
                    ("ratings",
                    [
                        To("ratings", "v1") with
                        {
                            Match = [new HttpMatchRequest { Headers = Jason }],
                            Fault = new HttpFaultInjection { Abort = new FaultAbort(500, 100) },
                        },
                        To("ratings", "v1"),
                    ]))),
            ["inventory-80-20"] = new(
                "gRPC traffic shifting: inventory's calls split 80/20 between v1 (Stratford) and v2 (Stratford and London); jason's always go to v2.",
                Rules(("inventory",
                [
                    To("inventory", "v2") with { Match = [new HttpMatchRequest { Headers = Jason }] },
                    Weighted("inventory", ("v1", 80), ("v2", 20)),
                ]))),
            ["inventory-abort"] = new(
                "gRPC fault injection: inventory's GetStock calls are aborted with UNAVAILABLE; the page loads at once with \"Stock is currently unavailable\".",
                Rules(("inventory",
                [
                    To("inventory", "v1") with
                    {
                        Match = [new HttpMatchRequest { Uri = StringMatch.Exact("/bookinfo.inventory.Inventory/GetStock") }],
                        Fault = new HttpFaultInjection { Abort = new FaultAbort(0, 100) { GrpcStatus = "UNAVAILABLE" } },
                    },
                    To("inventory", "v1"),
                ]))),
            ["circuit-breaking"] = new(
                "Circuit breaking: details allows one connection and one pending request; the load client (2 connections, 20 requests) sees some 503s with x-envoy-overloaded.",
                Rules(),
                new Dictionary<string, TrafficPolicy> { ["details"] = CircuitBreaker },
                LoadOnStart: true),
            ["strict-mtls"] = new(
                "Zero trust: mTLS is STRICT mesh-wide and only productpage may call reviews; the page works, the load client (GET <loadclient>/run?target=reviews) gets 403 RBAC: access denied.",
                Rules(),
                PeerAuthentications: [new PeerAuthentication("default", MutualTlsMode.Strict)],
                AuthorizationPolicies:
                [
                    new AuthorizationPolicy("reviews-viewer", AuthorizationAction.Allow)
                    {
                        Selector = new Dictionary<string, string> { ["app"] = "reviews" },
                        Rules = [new AuthorizationRule { From = [new AuthorizationSource { Principals = ["cluster.local/ns/default/sa/bookinfo-productpage"] }] }],
                    },
                ]),
            ["cache-deny"] = new(
                "Authorization on TCP: a DENY policy on redis-cache's port for details' identity; its open cache connections close, new ones are refused, and the page still loads (details answers without its cache).",
                Rules(),
                AuthorizationPolicies:
                [
                    new AuthorizationPolicy("redis-cache-deny-details", AuthorizationAction.Deny)
                    {
                        Selector = new Dictionary<string, string> { ["app"] = "redis-cache" },
                        Rules =
                        [
                            new AuthorizationRule
                            {
                                From = [new AuthorizationSource { Principals = ["cluster.local/ns/default/sa/bookinfo-details"] }],
                                To = [new AuthorizationOperation { Ports = ["6379"] }],
                            },
                        ],
                    },
                ]),
            ["broken-routes"] = new(
                "What a mistake looks like: a regex that does not compile, a retry condition Envoy does not know and weights that are all 0. The AppHost refuses to start and lists each problem.",
                Rules(("reviews",
                [
                    To("reviews", "v2") with
                    {
                        Match = [new HttpMatchRequest { Uri = StringMatch.Regex("/reviews/(?<=x)") }],
                        Retries = new HttpRetry { Attempts = 2, RetryOn = "5xx,gateway-eror" },
                    },
                    Weighted("reviews", ("v1", 0), ("v2", 0)),
                ]))),
        };

    private static HttpRoute[] JasonToV2ElseV1 => [To("reviews", "v2") with { Match = [new HttpMatchRequest { Headers = Jason }] }, To("reviews", "v1")];

    private static HttpRoute To(string service, string subset) => new() { Route = [new HttpRouteDestination(new Destination(service, subset))] };

    private static HttpRoute Weighted(string service, params (string Subset, int Weight)[] weights) =>
        new() { Route = [.. weights.Select(w => new HttpRouteDestination(new Destination(service, w.Subset), w.Weight))] };

    private static IReadOnlyDictionary<string, HttpRoute[]> Rules(params (string Service, HttpRoute[] Http)[] rules) =>
        rules.ToDictionary(rule => rule.Service, rule => rule.Http);

    /// <summary>The scenario's rules applied to a running mesh's configuration (what the AppHost switch does at start).</summary>
    public static MeshConfig Apply(MeshConfig config, string scenario)
    {
        var (_, routes, policies, _, peerAuthentications, authorizationPolicies) = All[scenario];
        return config with
        {
            PeerAuthentications = [.. peerAuthentications ?? []],
            AuthorizationPolicies = [.. authorizationPolicies ?? []],
            Services =
            [
                .. config.Services.Select(service => service with
                {
                    Http = [.. routes.GetValueOrDefault(service.Name, [])],
                    DestinationRule = policies?.GetValueOrDefault(service.Name) is { } policy
                        ? (service.DestinationRule ?? new DestinationRule()) with { TrafficPolicy = policy }
                        : service.DestinationRule,
                }),
            ],
        };
    }
}
