using System.Net;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Security;
using LocalMesh.Emulator.Telemetry;
using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Tests;

/// <summary>AuthorizationPolicy, rule by rule, in Istio's order of evaluation.</summary>
public sealed class AuthorizationTests
{
    private const string Productpage = "cluster.local/ns/default/sa/productpage-v1";
    private const string Other = "cluster.local/ns/other/sa/loadclient-v1";

    private static AuthorizationRequest Request(string? principal, string path = "/reviews/0", string method = "GET", string? header = null)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Path = path;
        context.Request.Host = new HostString("reviews:9080");
        if (header is not null)
        {
            context.Request.Headers["x-token"] = header;
        }

        return new AuthorizationRequest(principal, IPAddress.Loopback, 9080, context.Request);
    }

    private static AuthorizationPolicy Allow(string name, params AuthorizationRule[] rules) => new(name, AuthorizationAction.Allow) { Rules = rules };

    private static AuthorizationPolicy Deny(string name, params AuthorizationRule[] rules) => new(name, AuthorizationAction.Deny) { Rules = rules };

    private static AuthorizationRule From(params string[] principals) => new() { From = [new AuthorizationSource { Principals = principals }] };

    private static bool Allowed(AuthorizationRequest request, params AuthorizationPolicy[] policies) =>
        AuthorizationEvaluator.Evaluate(policies, request).Allowed;

    [Fact]
    public void WithoutPoliciesEverythingIsAllowed() => Assert.True(Allowed(Request(null)));

    [Fact]
    public void AnAllowPolicyAllowsOnlyWhatItMatches()
    {
        var policy = Allow("reviews-viewer", From(Productpage));

        Assert.True(Allowed(Request(Productpage), policy));
        Assert.False(Allowed(Request(Other), policy));
        Assert.False(Allowed(Request(null), policy));
    }

    [Fact]
    public void AnAllowPolicyWithoutRulesDeniesEverythingAndOneWithAnEmptyRuleAllowsEverything()
    {
        Assert.False(Allowed(Request(Productpage), new AuthorizationPolicy("deny-all", AuthorizationAction.Allow)));
        Assert.True(Allowed(Request(null), Allow("allow-all", new AuthorizationRule())));
    }

    [Fact]
    public void DenyWinsOverAllow()
    {
        var decision = AuthorizationEvaluator.Evaluate(
            [Allow("allow-all", new AuthorizationRule()), Deny("no-admin", new AuthorizationRule { To = [new AuthorizationOperation { Paths = ["/admin*"] }] })],
            Request(Productpage, "/admin/users"));

        Assert.False(decision.Allowed);
        Assert.Equal("no-admin", decision.Policy);
        Assert.True(Allowed(Request(Productpage, "/reviews/0"), Allow("allow-all", new AuthorizationRule()), Deny("no-admin", new AuthorizationRule { To = [new AuthorizationOperation { Paths = ["/admin*"] }] })));
    }

    [Fact]
    public void AnyAllowPolicyMayAllow() =>
        Assert.True(Allowed(Request(Other), Allow("one", From(Productpage)), Allow("two", From(Other))));

    [Fact]
    public void AuditChangesNothingButIsNoted()
    {
        var decision = AuthorizationEvaluator.Evaluate(
            [new AuthorizationPolicy("watch", AuthorizationAction.Audit) { Rules = [From(Other)] }],
            Request(Other));

        Assert.True(decision.Allowed);
        Assert.Equal(["watch"], decision.Audited);
    }

    [Theory]
    [InlineData("cluster.local/ns/default/sa/*", Productpage, true)]
    [InlineData("*/sa/productpage-v1", Productpage, true)]
    [InlineData("*", Productpage, true)]
    [InlineData("*", null, false)]
    [InlineData("cluster.local/ns/default/sa/*", Other, false)]
    public void PrincipalsTakeWildcardsAtEitherEnd(string pattern, string? principal, bool allowed) =>
        Assert.Equal(allowed, Allowed(Request(principal), Allow("p", From(pattern))));

    [Fact]
    public void NotPrincipalsAndNamespacesExclude()
    {
        var policy = Allow("p", new AuthorizationRule { From = [new AuthorizationSource { Namespaces = ["default", "other"], NotPrincipals = [Other] }] });

        Assert.True(Allowed(Request(Productpage), policy));
        Assert.False(Allowed(Request(Other), policy));
        Assert.False(Allowed(Request("cluster.local/ns/third/sa/x"), Allow("ns", new AuthorizationRule { From = [new AuthorizationSource { NotNamespaces = ["third"], Principals = ["*"] }] })));
    }

    [Fact]
    public void IpBlocksMatchTheCallersAddress()
    {
        Assert.True(Allowed(Request(null), Allow("local", new AuthorizationRule { From = [new AuthorizationSource { IpBlocks = ["127.0.0.0/8"] }] })));
        Assert.False(Allowed(Request(null), Allow("remote", new AuthorizationRule { From = [new AuthorizationSource { IpBlocks = ["10.0.0.0/8"] }] })));
    }

    [Fact]
    public void OperationsMatchMethodPathHostAndPort()
    {
        var policy = Allow("read", new AuthorizationRule
        {
            To = [new AuthorizationOperation { Methods = ["GET"], Paths = ["/reviews/*"], Hosts = ["reviews*"], Ports = ["9080"] }],
        });

        Assert.True(Allowed(Request(null), policy));
        Assert.False(Allowed(Request(null, method: "POST"), policy));
        Assert.False(Allowed(Request(null, path: "/ratings/0"), policy));
        Assert.False(Allowed(Request(null), Allow("port", new AuthorizationRule { To = [new AuthorizationOperation { Ports = ["8080"] }] })));
    }

    [Fact]
    public void FromToAndWhenMustAllHold()
    {
        var policy = Allow("p", new AuthorizationRule
        {
            From = [new AuthorizationSource { Principals = [Productpage] }],
            To = [new AuthorizationOperation { Methods = ["GET"] }],
            When = [new AuthorizationCondition("request.headers[x-token]") { Values = ["secret"] }],
        });

        Assert.True(Allowed(Request(Productpage, header: "secret"), policy));
        Assert.False(Allowed(Request(Productpage, header: "guess"), policy));
        Assert.False(Allowed(Request(Productpage), policy));
        Assert.False(Allowed(Request(Other, header: "secret"), policy));
    }

    [Fact]
    public void WhenConditionsReadSourceAttributes()
    {
        Assert.True(Allowed(Request(Productpage), Allow("ns", new AuthorizationRule { When = [new AuthorizationCondition("source.namespace") { Values = ["default"] }] })));
        Assert.False(Allowed(Request(Productpage), Allow("ns", new AuthorizationRule { When = [new AuthorizationCondition("source.principal") { NotValues = [Productpage] }] })));
    }

    [Fact]
    public void UnknownConditionsAndBadBlocksAreModelErrors()
    {
        var errors = MeshConfigValidator.Validate(new MeshConfig
        {
            AuthorizationPolicies =
            [
                Allow("bad", new AuthorizationRule
                {
                    From = [new AuthorizationSource { IpBlocks = ["ten.0.0.0/8"] }],
                    To = [new AuthorizationOperation { Ports = ["http"] }],
                    When = [new AuthorizationCondition("request.auth.claims[iss]") { Values = ["x"] }, new AuthorizationCondition("source.ip")],
                }),
            ],
        }).Errors;

        Assert.Equal(["rules[0].from[0].source.ipBlocks", "rules[0].to[0].operation.ports", "rules[0].when[0].key", "rules[0].when[1]"], errors.Select(e => e.Field));
        Assert.All(errors, e => Assert.Equal("authorizationpolicy/bad", e.Resource));
    }

    [Theory]
    [InlineData("cluster.local/ns/default/sa/productpage ", "has white space")]
    [InlineData("spiffe://cluster.local/ns/default/sa/productpage", "write 'cluster.local/ns/default/sa/productpage'")]
    [InlineData("cluster.local/ns/*/sa/productpage", "only a prefix or suffix")]
    [InlineData("productpage", "is not a principal")]
    [InlineData("cluster.local/default/productpage", "is not a principal")]
    public void APrincipalThatCanNeverMatchIsAWarningAsIstiodAcceptsIt(string principal, string said)
    {
        var result = MeshConfigValidator.Validate(MeshFixtures.CallerAndBackend() with
        {
            AuthorizationPolicies = [Allow("only-productpage", new AuthorizationRule { From = [new AuthorizationSource { Principals = [principal] }] })],
        });

        Assert.Empty(result.Errors);
        var warning = Assert.Single(result.Warnings);
        Assert.Equal(("authorizationpolicy/only-productpage", "rules[0].from[0].source.principals"), (warning.Resource, warning.Field));
        Assert.Contains(said, warning.Problem + " " + warning.Fix, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cluster.local/ns/default/sa/caller")]
    [InlineData("*")]
    [InlineData("cluster.local/ns/default/*")]
    [InlineData("*/sa/productpage")]
    [InlineData("other.domain/ns/default/sa/anyone")]
    public void WellFormedPrincipalsOfKnownAccountsPass(string principal)
    {
        var result = MeshConfigValidator.Validate(MeshFixtures.CallerAndBackend() with
        {
            AuthorizationPolicies = [Allow("p", new AuthorizationRule { From = [new AuthorizationSource { NotPrincipals = [principal] }] })],
        });

        Assert.Empty(result.Errors);
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void APrincipalOfAServiceAccountNoWorkloadHasIsAWarning()
    {
        var result = MeshConfigValidator.Validate(MeshFixtures.CallerAndBackend() with
        {
            AuthorizationPolicies = [Allow("p", new AuthorizationRule { From = [new AuthorizationSource { Principals = ["cluster.local/ns/default/sa/productpgae"] }] })],
        });

        Assert.Empty(result.Errors);
        var warning = Assert.Single(result.Warnings);
        Assert.Contains("service account 'productpgae', which no workload of the mesh runs as", warning.Problem, StringComparison.Ordinal);
        Assert.Contains("cluster.local/ns/default/sa/caller", warning.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnTheWireOnlyTheAllowedPrincipalGetsThroughAndTheRestGet403()
    {
        var config = MeshFixtures.CallerAndBackend() with
        {
            PeerAuthentications = [new PeerAuthentication("default", MutualTlsMode.Strict)],
            AuthorizationPolicies =
            [
                new AuthorizationPolicy("backend-from-caller", AuthorizationAction.Allow)
                {
                    Selector = new Dictionary<string, string> { ["app"] = "backend" },
                    Rules = [From("cluster.local/ns/default/sa/caller")],
                },
            ],
        };
        await using var server = await MeshServer.StartAsync(config);
        await using var backend = await TestBackend.StartAsync("backend-v2/0");
        server.State.SetApplication("backend-v2", 0, backend.Address);
        // Every workload ready, so the gateway serves (the caller's own application is never called here).
        server.State.SetApplication("caller", 0, backend.Address);
        server.State.SetApplication("backend-v1", 0, backend.Address);
        server.State.SetApplication("backend-v1", 1, backend.Address);
        using var spans = new SpanCollector();
        using var client = new HttpClient();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(server.Addresses["outbound|caller|backend"])).StatusCode);

        // The gateway has an identity of its own, which the policy does not allow.
        var requestId = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Get, server.Addresses["ingress|gateway"]) { Headers = { { "x-request-id", requestId } } };
        using var denied = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal("RBAC: access denied", await denied.Content.ReadAsStringAsync());
        var inbound = Assert.Single(await spans.ForRequestAsync(requestId, 2), span => span.Kind == System.Diagnostics.ActivityKind.Server);
        var @event = Assert.Single(inbound.Events, e => e.Name == "rbac.denied");
        Assert.Equal("backend-from-caller", @event.Tags.Single(t => t.Key == "policy").Value);
        Assert.Equal("cluster.local/ns/default/sa/gateway", inbound.GetTagItem(MeshTelemetry.Attributes.SourcePrincipal));
        Assert.Single(backend.Received);
    }
}
