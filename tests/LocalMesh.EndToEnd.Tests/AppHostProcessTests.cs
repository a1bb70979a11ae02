using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace LocalMesh.EndToEnd.Tests;

/// <summary>
/// The AppHost as a user runs it, stopped by bad input before anything starts: one message, an exit
/// code, no stack trace. (A run that starts is checked by <see cref="ReadmeTests"/>, over the README's own commands.)
/// </summary>
[Collection(ProcessesCollection.Name)]
public sealed class AppHostProcessTests
{
    [Fact]
    public async Task AnInvalidModelStopsTheAppHostWithEveryProblemListedAndExitCode1()
    {
        var (exitCode, errors) = await RunToExitAsync("--scenario", "broken-routes");

        Assert.Equal(1, exitCode);
        Assert.StartsWith("The mesh model has 3 problems; nothing was started:", errors.Trim());
        Assert.Contains("reviews: http[0].match[0].uri: regex", errors);
        Assert.Contains("reviews: http[0].retries.retryOn: 'gateway-eror' is not a retry condition. Fix: use Envoy's conditions", errors);
        Assert.Contains("reviews: http[1].route: has weights that are all 0", errors);
        Assert.DoesNotContain("   at ", errors);
    }

    [Fact]
    public async Task AGatewayPortAnotherProgramHoldsStopsTheAppHostWithOneMessageAndExitCode1()
    {
        // Another program (or another run of the app) on the gateway's port.
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;

        var (exitCode, errors) = await RunToExitAsync($"--IngressPort={port}");

        Assert.Equal(1, exitCode);
        Assert.StartsWith($"The mesh could not open its listeners: Failed to bind to address http://127.0.0.1:{port}: address already in use.", errors.Trim());
        Assert.Contains($"Its fixed ports: port {port} (ingress gateway 'ingress'). Stop whatever holds the port", errors);
        Assert.DoesNotContain("   at ", errors);
    }

    [Fact]
    public async Task AnIstioFileWithThreeMistakesStopsTheAppHostWithEachAtItsLineAndExitCode1()
    {
        var folder = Directory.CreateTempSubdirectory("localmesh-bad-yaml-");
        try
        {
            var file = Path.Combine(folder.FullName, "reviews.yaml");
            File.WriteAllText(file, """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata:
                  name: reviews
                spec:
                  hosts: [reviews]
                  http:
                  - route:
                    - destination: {host: reviews}
                      weight: fifty
                    timeout: 2 seconds
                    retrys: {attempts: 2}
                """.ReplaceLineEndings("\n"));

            var (exitCode, errors) = await RunToExitAsync("--mesh-config", file);

            Assert.Equal(1, exitCode);
            var lines = errors.Trim().Split('\n');
            Assert.Equal("The mesh model has 3 problems; nothing was started:", lines[0]);
            Assert.StartsWith($"  - {file}:10:15 VirtualService default/reviews: spec.http[0].route[0].weight: expected a whole number, found 'fifty'.", lines[1]);
            Assert.StartsWith($"  - {file}:11:5 VirtualService default/reviews: spec.http[0].timeout: '2 seconds' is not a duration.", lines[2]);
            Assert.StartsWith($"  - {file}:12:5 VirtualService default/reviews: spec.http[0].retrys: unknown field 'retrys'.", lines[3]);
            Assert.DoesNotContain("   at ", errors);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task TheMeshCheckStepPrintsEveryFindingWithoutStartingAndExitsWith1OnlyOnAnError()
    {
        var folder = Directory.CreateTempSubdirectory("localmesh-check-");
        try
        {
            foreach (var good in new[] { "istio", "gateway-api" })
            {
                var (goodExit, _, goodOutput) = await RunToExitWithOutputAsync("--operation", "publish", "--step", "mesh-check", "--mesh-config", Path.Combine(Repository.Root, "samples", good));
                Assert.Equal(0, goodExit);
                Assert.Contains("mesh-check: no errors, 0 warning(s)", goodOutput);
            }

            var file = Path.Combine(folder.FullName, "ratings.yaml");
            File.WriteAllText(file, """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata:
                  name: ratings
                spec:
                  host: ratings
                  subsets:
                  - {name: v1, labels: {version: v1}}
                  - {name: v2-mysql, labels: {version: v2-mysql}}
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata:
                  name: ratings
                spec:
                  hosts: [ratings]
                  http:
                  - route:
                    - destination: {host: ratings, subset: v9}
                    retries: {attempts: 2, retryOn: gateway-eror}
                """.ReplaceLineEndings("\n"));

            var (exitCode, _, output) = await RunToExitWithOutputAsync("--operation", "publish", "--step", "mesh-check", "--mesh-config", file);
            Assert.Equal(1, exitCode);
            Assert.Contains($"{file}:9:22 IST0173 DestinationRule default/ratings: spec.subsets[1].labels: subset 'v2-mysql' selects no workload", output);
            Assert.Contains($"{file}:19:36 IST0101 VirtualService default/ratings: spec.http[0].route[0].destination.subset: Referenced host+subset in destinationrule not found: \"ratings+v9\"", output);
            Assert.Contains($"{file}:20:28 VirtualService default/ratings: spec.http[0].retries.retryOn: 'gateway-eror' is not a retry condition.", output);
            Assert.DoesNotContain("LocalMesh ready", output);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task AnUnknownScenarioListsTheKnownOnesAndExitsWithCode2()
    {
        var (exitCode, errors) = await RunToExitAsync("--scenario", "reviews-v9");

        Assert.Equal(2, exitCode);
        Assert.Contains("Unknown scenario 'reviews-v9'", errors);
        Assert.Contains("reviews-v2-for-jason", errors);
    }

    private static async Task<(int ExitCode, string Errors)> RunToExitAsync(params string[] args)
    {
        var (exitCode, errors, _) = await RunToExitWithOutputAsync(args);
        return (exitCode, errors);
    }

    private static async Task<(int ExitCode, string Errors, string Output)> RunToExitWithOutputAsync(params string[] args)
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        using var process = Process.Start(Repository.AppHost(args))!;
        var output = process.StandardOutput.ReadToEndAsync(cancellation.Token);
        var errors = await process.StandardError.ReadToEndAsync(cancellation.Token);
        await process.WaitForExitAsync(cancellation.Token);
        return (process.ExitCode, errors, await output);
    }
}
