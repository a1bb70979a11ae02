using System.Text.RegularExpressions;

namespace LocalMesh.Emulator.Tests;

/// <summary>The mesh's metrics in Prometheus' text format, as a cluster's Prometheus scrapes Envoy.</summary>
public sealed class PrometheusMetricsTests
{
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task EachMeshReportsItsOwnRequestsOnlyThoughTwoRunInOneProcess()
    {
        await using var busy = await MeshServer.StartAsync(MeshFixtures.CallerAndBackend(), new MeshServerOptions { MetricsPort = 0 });
        await using var idle = await MeshServer.StartAsync(MeshFixtures.CallerAndBackend(), new MeshServerOptions { MetricsPort = 0 });
        await using var backend = await TestBackend.StartAsync("backend");
        foreach (var (workload, replica) in new[] { ("caller", 0), ("backend-v1", 0), ("backend-v1", 1), ("backend-v2", 0) })
        {
            busy.State.SetApplication(workload, replica, backend.Address);
        }

        using var client = new HttpClient { Timeout = Cap };
        (await client.GetAsync(busy.Addresses["outbound|caller|backend"])).EnsureSuccessStatusCode();
        await Eventually.TrueAsync(() => client.GetStringAsync(busy.MetricsAddress).GetAwaiter().GetResult().Contains("istio_requests_total{", StringComparison.Ordinal), Cap);

        Assert.DoesNotContain("istio_requests_total", await client.GetStringAsync(idle.MetricsAddress), StringComparison.Ordinal);
    }

    [Fact]
    public async Task IstiosMetricsAndEnvoysCountersAreServedInPrometheusTextFormat()
    {
        // A mesh reports its own requests only, so other tests' meshes in this process do not show here.
        const string caller = "caller";
        var config = MeshFixtures.CallerAndBackend();
        await using var server = await MeshServer.StartAsync(config, new MeshServerOptions { MetricsPort = 0 });
        await using var backend = await TestBackend.StartAsync("backend");
        foreach (var (workload, replica) in new[] { (caller, 0), ("backend-v1", 0), ("backend-v1", 1), ("backend-v2", 0) })
        {
            server.State.SetApplication(workload, replica, backend.Address);
        }

        using var client = new HttpClient { Timeout = Cap };
        for (var i = 0; i < 3; i++)
        {
            (await client.GetAsync(server.Addresses[$"outbound|{caller}|backend"])).EnsureSuccessStatusCode();
        }

        Assert.NotNull(server.MetricsAddress);
        Assert.EndsWith("/stats/prometheus", server.MetricsAddress!.AbsolutePath, StringComparison.Ordinal);
        using var scrape = await client.GetAsync(server.MetricsAddress);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", scrape.Content.Headers.ContentType?.ToString());
        // A sidecar counts a request as it finishes, just after the caller has its answer: scraped until all three are in, within the cap.
        var source = new Regex($@"^istio_requests_total\{{[^}}]*reporter=""source""[^}}]*response_code=""200""[^}}]*source_workload=""{caller}""[^}}]*\}} (\d+)$", RegexOptions.Multiline);
        var text = "";
        await Eventually.TrueAsync(() =>
        {
            text = client.GetStringAsync(server.MetricsAddress).GetAwaiter().GetResult();
            return Sum(source, text) == 3;
        }, Cap);

        Assert.Contains("# TYPE istio_requests_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE istio_request_duration_milliseconds histogram\n", text, StringComparison.Ordinal);
        // The caller's side (source) counted each of its three calls, with Istio's labels (a series per destination workload and version).
        Assert.Equal(3, Sum(source, text));
        var count = new Regex($@"^istio_request_duration_milliseconds_count\{{[^}}]*reporter=""source""[^}}]*source_workload=""{caller}""[^}}]*\}} (\d+)$", RegexOptions.Multiline);
        Assert.Equal(3, Sum(count, text));
        Assert.Equal(3, Sum(new Regex($@"^istio_request_duration_milliseconds_bucket\{{[^}}]*reporter=""source""[^}}]*source_workload=""{caller}""[^}}]*le=""\+Inf""\}} (\d+)$", RegexOptions.Multiline), text));
        // Sizes: the bodies' bytes, declared or counted as they stream (a chunked request; the backend's replies are chunked).
        using (var declared = new ByteArrayContent(new byte[700]))
        {
            (await client.PostAsync(server.Addresses[$"outbound|{caller}|backend"], declared)).EnsureSuccessStatusCode();
        }

        using (var chunked = new HttpRequestMessage(HttpMethod.Post, server.Addresses[$"outbound|{caller}|backend"]) { Content = new ByteArrayContent(new byte[300]) })
        {
            chunked.Headers.TransferEncodingChunked = true;
            (await client.SendAsync(chunked)).EnsureSuccessStatusCode();
        }

        var requestBytes = new Regex($@"^istio_request_bytes_sum\{{[^}}]*reporter=""source""[^}}]*source_workload=""{caller}""[^}}]*\}} (\d+)$", RegexOptions.Multiline);
        var responseBytes = new Regex($@"^istio_response_bytes_sum\{{[^}}]*reporter=""source""[^}}]*source_workload=""{caller}""[^}}]*\}} (\d+)$", RegexOptions.Multiline);
        await Eventually.TrueAsync(() =>
        {
            text = client.GetStringAsync(server.MetricsAddress).GetAwaiter().GetResult();
            return Sum(source, text) == 5;
        }, Cap);
        Assert.Contains("# TYPE istio_request_bytes histogram\n", text, StringComparison.Ordinal);
        Assert.Equal(1000, Sum(requestBytes, text));
        Assert.Equal(5 * "backend".Length, Sum(responseBytes, text));
        var destinationRequestBytes = new Regex($@"^istio_request_bytes_sum\{{[^}}]*reporter=""destination""[^}}]*source_workload=""{caller}""[^}}]*\}} (\d+)$", RegexOptions.Multiline);
        Assert.Equal(1000, Sum(destinationRequestBytes, text));

        // Istio's full label set, which its Grafana dashboards and Kiali select on.
        var destinationSeries = new Regex($@"^istio_requests_total\{{[^}}]*reporter=""destination""[^}}]*source_workload=""{caller}""[^}}]*\}}", RegexOptions.Multiline).Match(text).Value;
        foreach (var label in new[]
        {
            "destination_service=\"backend.default.svc.cluster.local\"", "destination_service_name=\"backend\"", "destination_app=\"backend\"",
            "destination_canonical_service=\"backend\"", "destination_cluster=\"Kubernetes\"", "destination_principal=\"spiffe://cluster.local/ns/default/sa/backend-v",
            "source_app=\"caller\"", "source_version=\"v1\"", "source_canonical_revision=\"v1\"", "source_principal=\"spiffe://cluster.local/ns/default/sa/caller\"",
            "connection_security_policy=\"mutual_tls\"", "request_protocol=\"http\"", "response_flags=\"-\"",
        })
        {
            Assert.Contains(label, destinationSeries, StringComparison.Ordinal);
        }

        // Anything else is an error page, not metrics.
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await client.GetAsync(new Uri(server.MetricsAddress, "/other"))).StatusCode);
    }

    private static long Sum(Regex series, string text) => series.Matches(text).Sum(match => long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
}
