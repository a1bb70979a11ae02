using Microsoft.Extensions.DependencyInjection;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Hosting;
using LocalMesh.Kubernetes.Export;

namespace LocalMesh.Hosting.Tests;

/// <summary>Rules from a team's Istio YAML next to the C# model, as the compiler hands them to the data plane.</summary>
public sealed class ConfigurationFilesTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("localmesh-files-");

    private static readonly string SubsetsAndJason = IstioYaml.Subsets("reviews", "v1", "v2") + """

        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: reviews
        spec:
          hosts: [reviews]
          http:
          - match:
            - headers: {end-user: {exact: jason}}
            route:
            - destination: {host: reviews, subset: v2}
          - route:
            - destination: {host: reviews, subset: v1}
        """;

    private (IDistributedApplicationBuilder Builder, IResourceBuilder<MeshResource> Mesh, IResourceBuilder<MeshServiceResource> Reviews) Reviews(string yaml)
    {
        File.WriteAllText(Path.Combine(_folder.FullName, "reviews.yaml"), yaml.ReplaceLineEndings("\n"));
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMesh("mesh").WithConfigurationFiles(_folder.FullName);
        var reviews = mesh.AddService("reviews")
            .WithWorkload(builder.AddExecutable("reviews-v1", "dotnet", "."), version: "v1")
            .WithWorkload(builder.AddExecutable("reviews-v2", "dotnet", "."), version: "v2");
        return (builder, mesh, reviews);
    }

    private static CompiledMesh Compile(IDistributedApplicationBuilder builder, IResourceBuilder<MeshResource> mesh) =>
        MeshModelCompiler.Compile(new DistributedApplicationModel(builder.Resources), mesh.Resource);

    /// <summary>An egress folder shaped as Istio's egress tasks write one: an HTTP API whose port 80 is originated as TLS on 443, and an HTTPS host.</summary>
    private const string Egress = """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata:
          name: books-api
        spec:
          hosts: [books.example.com]
          ports:
          - {number: 80, name: http, protocol: HTTP}
          - {number: 443, name: https, protocol: HTTPS}
          resolution: DNS
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: books-api-tls
        spec:
          hosts: [books.example.com]
          http:
          - match:
            - port: 80
            route:
            - destination: {host: books.example.com, port: {number: 443}}
            timeout: 3s
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: books-api-tls
        spec:
          host: books.example.com
          trafficPolicy:
            portLevelSettings:
            - port: {number: 443}
              tls: {mode: SIMPLE}
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata:
          name: payments
        spec:
          hosts: [payments.example.net]
          ports:
          - {number: 443, name: tls, protocol: TLS}
          resolution: NONE
        """;

    [Fact]
    public void AnEgressFolderLoadsItsServiceEntriesAndTheirHostsRulesAndTheExportCarriesThemAsWritten()
    {
        var (builder, mesh, _) = Reviews(SubsetsAndJason);
        File.WriteAllText(Path.Combine(_folder.FullName, "egress.yaml"), Egress.ReplaceLineEndings("\n"));

        var compiled = Compile(builder, mesh);

        Assert.Empty(compiled.Warnings);
        Assert.Equal(["books-api", "payments"], compiled.Config.ServiceEntries.Select(entry => entry.Name));
        Assert.Equal(ServiceEntryResolution.None, compiled.Config.ServiceEntries[1].Resolution);
        var books = Assert.Single(compiled.Config.ExternalServices);
        Assert.Equal(("books.example.com", 443, TimeSpan.FromSeconds(3)), (books.Name, books.Http[0].Route![0].Destination.Port, books.Http[0].Timeout));
        Assert.Equal(ClientTlsMode.Simple, books.DestinationRule!.TrafficPolicy!.PortLevelSettings!.Single(settings => settings.Port == 443).Tls!.Mode);
        Assert.Contains(compiled.Config.Listeners, listener => listener is { Kind: ListenerKind.Egress, Workload: "reviews-v1" });
        Assert.Equal(
            ["DestinationRule default/books-api-tls", "ServiceEntry default/books-api", "ServiceEntry default/payments", "VirtualService default/books-api-tls"],
            compiled.Carried.Select(document => document.Object("default")).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ASidecarSettingRegistryOnlyForTheNamespaceBlocksUnknownHostsLocallyToo()
    {
        var (builder, mesh, _) = Reviews(SubsetsAndJason);
        File.WriteAllText(Path.Combine(_folder.FullName, "sidecar.yaml"), """
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata:
              name: default
            spec:
              outboundTrafficPolicy:
                mode: REGISTRY_ONLY
            """.ReplaceLineEndings("\n"));

        var compiled = Compile(builder, mesh);

        Assert.Equal(OutboundTrafficPolicyMode.RegistryOnly, compiled.Config.OutboundTrafficPolicy);
        Assert.Empty(compiled.Warnings);
        Assert.Equal("Sidecar default/default", Assert.Single(compiled.Carried).Object("default"));

        mesh.WithOutboundTrafficPolicy(OutboundTrafficPolicyMode.AllowAny);
        var error = Assert.Single(Assert.Throws<MeshModelException>(() => Compile(builder, mesh)).Errors);
        Assert.Contains("WithOutboundTrafficPolicy", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void AServiceEntryIstiodRejectsIsAnErrorAtItsField()
    {
        var (builder, mesh, _) = Reviews(SubsetsAndJason);
        File.WriteAllText(Path.Combine(_folder.FullName, "egress.yaml"), Egress.Replace("resolution: NONE", "resolution: NONE\n  endpoints: [{address: 10.0.0.1}]", StringComparison.Ordinal).ReplaceLineEndings("\n"));

        var error = Assert.Single(Assert.Throws<MeshModelException>(() => Compile(builder, mesh)).Errors);

        Assert.Equal(("serviceentry/payments", "endpoints"), (error.Resource, error.Field));
        Assert.Contains("no endpoints should be provided for resolution type none", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void AFilesRoutesAndSubsetsBecomeTheServicesAsIfWrittenInCSharp()
    {
        var (builder, mesh, _) = Reviews(SubsetsAndJason);

        var reviews = Compile(builder, mesh).Config.Services.Single(s => s.Name == "reviews");

        Assert.Equal(["v1", "v2"], reviews.DestinationRule!.Subsets!.Select(s => s.Name));
        Assert.Equal(new Destination("reviews", "v2"), Assert.Single(reviews.Http[0].Route!).Destination);
        Assert.Equal(StringMatch.Exact("jason"), reviews.Http[0].Match![0].Headers!["end-user"]);
    }

    [Fact]
    public void IstiosTcpEchoTrafficShiftingRoutesATcpServicesConnections()
    {
        // Istio's samples/tcp-echo: tcp-echo-all-v1.yaml's subsets and tcp-echo-20-v2.yaml's route, for the mesh's sidecars.
        File.WriteAllText(Path.Combine(_folder.FullName, "tcp-echo.yaml"), """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata:
              name: tcp-echo-destination
            spec:
              host: tcp-echo
              subsets:
              - name: v1
                labels:
                  version: v1
              - name: v2
                labels:
                  version: v2
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: tcp-echo
            spec:
              hosts:
              - tcp-echo
              tcp:
              - match:
                - port: 9000
                route:
                - destination:
                    host: tcp-echo
                    port:
                      number: 9000
                    subset: v1
                  weight: 80
                - destination:
                    host: tcp-echo
                    port:
                      number: 9000
                    subset: v2
                  weight: 20
            """.ReplaceLineEndings("\n"));
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMesh("mesh").WithConfigurationFiles(_folder.FullName);
        mesh.AddService("tcp-echo").WithPort(9000)
            .WithWorkload(builder.AddExecutable("tcp-echo-v1", "tcp-echo", ".").WithEndpoint(scheme: "tcp", name: "tcp"), version: "v1")
            .WithWorkload(builder.AddExecutable("tcp-echo-v2", "tcp-echo", ".").WithEndpoint(scheme: "tcp", name: "tcp"), version: "v2");

        var compiled = Compile(builder, mesh);
        var echo = compiled.Config.Services.Single(s => s.Name == "tcp-echo");

        Assert.Equal(ServiceProtocol.Tcp, echo.Protocol);
        var route = Assert.Single(echo.Tcp);
        Assert.Equal(9000, Assert.Single(route.Match!).Port);
        Assert.Equal([("v1", 80), ("v2", 20)], route.Route!.Select(d => (d.Destination.Subset!, d.Weight ?? 0)));
        Assert.DoesNotContain(compiled.Warnings, warning => warning.Contains("tcp", StringComparison.Ordinal));
    }

    [Fact]
    public void TheSameServiceRoutedInCSharpAndInAFileIsAnErrorNamingBothPlaces()
    {
        var (builder, mesh, reviews) = Reviews(SubsetsAndJason);
        reviews.WithSubset("v1").WithWeightedRoute(("v1", 100));

        var error = Assert.Throws<MeshModelException>(() => Compile(builder, mesh));

        Assert.Equal(2, error.Errors.Count);
        Assert.Contains(error.Errors, e => e.Resource == $"{Path.Combine(_folder.FullName, "reviews.yaml")}:11:1 VirtualService default/reviews"
            && e.Problem.Contains("which the app model routes too (WithHttpRoute, WithWeightedRoute or WithTcpRoute on 'reviews')", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Resource.EndsWith("reviews.yaml:1:1 DestinationRule default/reviews", StringComparison.Ordinal)
            && e.Problem.Contains("WithSubset or WithTrafficPolicy", StringComparison.Ordinal));
    }

    [Fact]
    public void TheValidatorsFindingsOnAFilesRuleNameItsFileLineAndField()
    {
        var (builder, mesh, _) = Reviews(SubsetsAndJason.Replace("    - headers: {end-user: {exact: jason}}", "    - headers: {End-User: {exact: jason}}", StringComparison.Ordinal));

        var error = Assert.Single(Assert.Throws<MeshModelException>(() => Compile(builder, mesh)).Errors);

        Assert.EndsWith("reviews.yaml:19:17 VirtualService default/reviews", error.Resource);
        Assert.Equal("spec.http[0].match[0].headers[End-User]", error.Field);
        Assert.StartsWith("has upper-case letters", error.Problem);
    }

    [Fact]
    public void ARouteToASubsetNoDestinationRuleDeclaresLoadsWithIstiosIst0101AtItsLine()
    {
        var (builder, mesh, _) = Reviews(SubsetsAndJason.Replace("subset: v2}", "subset: v4}", StringComparison.Ordinal));

        var compiled = Compile(builder, mesh);

        var warning = Assert.Single(compiled.Warnings);
        Assert.Contains("reviews.yaml:21:36 IST0101 VirtualService default/reviews: spec.http[0].route[0].destination.subset: Referenced host+subset in destinationrule not found: \"reviews+v4\"", warning);
        Assert.Contains("so its requests are answered 503 (NC)", warning);
    }

    [Fact]
    public void WhatIstioAcceptsButCannotWorkIsAWarningAndTheMeshStillCompiles()
    {
        var (builder, mesh, _) = Reviews(SubsetsAndJason.Replace("- {name: v2, labels: {version: v2}}", "- {name: v2, labels: {version: v2}}\n  - {name: v2-mysql, labels: {version: v2-mysql}}", StringComparison.Ordinal));

        var compiled = Compile(builder, mesh);

        var warning = Assert.Single(compiled.Warnings);
        Assert.Contains("IST0173 DestinationRule default/reviews: spec.subsets[2].labels: subset 'v2-mysql' selects no workload of 'reviews'", warning);
    }

    [Fact]
    public void TwoDestinationRulesForOneHostAreMergedAsIstiodMergesThem()
    {
        // Istio's docs suggest splitting a large DestinationRule: subsets in one, the policy in another.
        var (builder, mesh, _) = Reviews(SubsetsAndJason);
        File.WriteAllText(Path.Combine(_folder.FullName, "zz-policy.yaml"), """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata:
              name: reviews-policy
            spec:
              host: reviews
              trafficPolicy:
                loadBalancer: {simple: LEAST_REQUEST}
              subsets:
              - {name: v2, labels: {version: v1}}
              - {name: canary, labels: {version: v2}}
              - {name: empty, labels: {}}
            """.ReplaceLineEndings("\n"));

        var error = Assert.Single(Assert.Throws<MeshModelException>(() => Compile(builder, mesh)).Errors);
        // The merged rule's fourth subset is named at its own file's line.
        Assert.EndsWith("zz-policy.yaml:12:19 DestinationRule default/reviews-policy", error.Resource);
        Assert.Equal("spec.subsets[2].labels", error.Field);

        File.WriteAllText(Path.Combine(_folder.FullName, "zz-policy.yaml"), File.ReadAllText(Path.Combine(_folder.FullName, "zz-policy.yaml")).Replace("\n  - {name: empty, labels: {}}", "", StringComparison.Ordinal));
        var compiled = Compile(builder, mesh);

        var rule = compiled.Config.Services.Single(service => service.Name == "reviews").DestinationRule!;
        // The first rule's subsets, then the later one's of other names; its traffic policy where the first had none.
        Assert.Equal([("v1", "v1"), ("v2", "v2"), ("canary", "v2")], rule.Subsets!.Select(subset => (subset.Name, subset.Labels["version"])));
        Assert.Equal(SimpleLoadBalancer.LeastRequest, rule.TrafficPolicy!.LoadBalancer!.Simple);
        var warning = Assert.Single(compiled.Warnings);
        Assert.Contains("zz-policy.yaml:10:6 DestinationRule default/reviews-policy: spec.subsets[0].name: subset 'v2' is declared by DestinationRule default/reviews too; istiod keeps the first one's", warning);
        Assert.Contains("DestinationRule default/reviews-policy", compiled.RuleSources["reviews"]);
    }

    [Fact]
    public async Task ADestinationRuleSplitOverTwoFilesIsExportedAsTheFilesHaveItForIstiodToMergeAgain()
    {
        File.WriteAllText(Path.Combine(_folder.FullName, "reviews.yaml"), SubsetsAndJason.ReplaceLineEndings("\n"));
        File.WriteAllText(Path.Combine(_folder.FullName, "zz-policy.yaml"), """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata:
              name: reviews-policy
            spec:
              host: reviews
              trafficPolicy:
                loadBalancer: {simple: LEAST_REQUEST}
            """.ReplaceLineEndings("\n"));
        var builder = DistributedApplication.CreateBuilder(["--operation", "publish", "--output-path", Path.GetTempPath()]);
        var mesh = builder.AddMesh("mesh").WithConfigurationFiles(_folder.FullName);
        mesh.AddService("reviews")
            .WithWorkload(builder.AddExecutable("reviews-v1", "dotnet", "."), version: "v1")
            .WithWorkload(builder.AddExecutable("reviews-v2", "dotnet", "."), version: "v2");
        using var app = builder.Build();

        var model = await KubernetesModelBuilder.BuildAsync(
            app.Services.GetRequiredService<DistributedApplicationModel>(), app.Services.GetRequiredService<DistributedApplicationExecutionContext>(), CancellationToken.None);

        Assert.Equal(["reviews"], model.SplitDestinationRules);
        Assert.Null(IstioExporter.DestinationRule(model, model.Mesh.Services.Single(service => service.Name == "reviews")));
        Assert.Equal(["reviews", "reviews-policy"], model.Carried.Where(item => item.Kind == "DestinationRule").Select(item => item.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ARouteToAnotherTeamsServiceLoadsWithIstiosWarningAtItsLineAsIstiodAcceptsIt()
    {
        // A team's folder covers its namespace: its routes also name services the local app does not run.
        var (builder, mesh, _) = Reviews(SubsetsAndJason.Replace(
            "  - route:\n    - destination: {host: reviews, subset: v1}",
            "  - match:\n    - uri: {prefix: /.well-known/acme-challenge/}\n    route:\n    - destination: {host: cm-acme-http-solver.cert-manager.svc.cluster.local}\n  - route:\n    - destination: {host: reviews, subset: v1}",
            StringComparison.Ordinal));

        var compiled = Compile(builder, mesh);

        var reviews = compiled.Config.Services.Single(service => service.Name == "reviews");
        Assert.Equal("cm-acme-http-solver.cert-manager.svc.cluster.local", reviews.Http[1].Route![0].Destination.Host);
        var warning = Assert.Single(compiled.Warnings);
        Assert.Contains("reviews.yaml:25:21 IST0101 VirtualService default/reviews: spec.http[1].route[0].destination.host: Referenced host not found: \"cm-acme-http-solver.cert-manager.svc.cluster.local\"", warning);
    }

    [Fact]
    public void AFilesGatewayDecidesWhatTheIngressServesAndTheExportWritesItInsteadOfTheAppModelsRoute()
    {
        var (builder, mesh, reviews) = Reviews("""
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata:
              name: shop-gateway
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 80, name: http, protocol: HTTP}
                hosts: ["*"]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: shop
            spec:
              hosts: ["*"]
              gateways: [shop-gateway]
              http:
              - route:
                - destination: {host: reviews}
              - match:
                - uri: {prefix: /api}
                route:
                - destination: {host: reviews}
            """);
        mesh.AddIngressGateway("ingress", port: 0).WithRoute(reviews);

        var compiled = Compile(builder, mesh);

        Assert.Equal("shop-gateway", Assert.Single(compiled.Config.Gateways).Name);
        Assert.Equal(["default/shop-gateway"], Assert.Single(compiled.Config.GatewayVirtualServices).Gateways.AsEnumerable());
        // Istio accepts a rule after a catch-all and its analyzer warns (IST0130), at the rule's line.
        Assert.Contains(compiled.Warnings, warning => warning.Contains("reviews.yaml:19:5 IST0130 VirtualService default/shop: spec.http[0].match: VirtualService rule #1 not used", StringComparison.Ordinal));
        var exported = IstioExporter.Ingress(new KubernetesAppModel("app", compiled.Config)
        {
            Gateways = [new GatewaySpec("ingress", 0, "reviews")],
        }).OfType<k8s.IKubernetesObject<k8s.Models.V1ObjectMeta>>().Select(item => $"{item.Kind}/{item.Metadata.Name}");
        Assert.Equal(["Gateway/shop-gateway", "VirtualService/shop"], exported);
    }

    [Fact]
    public void TheExportNamesAFilesVirtualServiceAndDestinationRuleAsTheFileDoesSoTheClusterGetsTheTeamsObjects()
    {
        var (builder, mesh, _) = Reviews(SubsetsAndJason
            .Replace("kind: DestinationRule\nmetadata:\n  name: reviews", "kind: DestinationRule\nmetadata:\n  name: reviews-subsets", StringComparison.Ordinal)
            .Replace("kind: VirtualService\nmetadata:\n  name: reviews", "kind: VirtualService\nmetadata:\n  name: reviews-for-jason", StringComparison.Ordinal));

        var config = Compile(builder, mesh).Config;
        var model = new KubernetesAppModel("app", config);
        var reviews = config.Services.Single(s => s.Name == "reviews");

        Assert.Equal("reviews-for-jason", IstioExporter.VirtualService(model, reviews)!.Metadata.Name);
        Assert.Equal("reviews-subsets", IstioExporter.DestinationRule(model, reviews)!.Metadata.Name);
    }

    [Fact]
    public void AnIngressGatewayWithoutARouteNeedsAGatewayFromTheFiles()
    {
        var (builder, mesh, _) = Reviews(SubsetsAndJason);
        mesh.AddIngressGateway("ingress", port: 0);

        var error = Assert.Single(Assert.Throws<MeshModelException>(() => Compile(builder, mesh)).Errors);

        Assert.Equal(("ingress", "route"), (error.Resource, error.Field));
        Assert.Contains("or give the mesh a Gateway and its VirtualService in a configuration file", error.Fix);
    }

    public void Dispose() => _folder.Delete(recursive: true);
}
