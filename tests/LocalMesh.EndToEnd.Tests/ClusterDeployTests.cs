using System.Diagnostics;

namespace LocalMesh.EndToEnd.Tests;

/// <summary>
/// The sample deployed to a real kind cluster (with Istio, Knative Serving and Eventing, and the
/// Prometheus operator's CRDs installed): images built and loaded, every object applied, rollouts
/// waited for, the ingress called. Needs a cluster and a Docker engine, so it runs only when
/// LOCALMESH_TEST_KIND_CLUSTER names one.
/// </summary>
[Collection(ProcessesCollection.Name)]
public sealed class ClusterDeployTests
{
    [RequiresEnvironmentFact("LOCALMESH_TEST_KIND_CLUSTER", "a kind cluster (its name; KUBECONFIG or the current context must reach it) with Istio, Knative and the Prometheus operator CRDs")]
    public async Task TheSampleDeploysToKindRollsOutAndItsIngressAnswers()
    {
        var cluster = Environment.GetEnvironmentVariable("LOCALMESH_TEST_KIND_CLUSTER")!;
        var output = Path.Combine(Path.GetTempPath(), $"localmesh-deploy-{Guid.NewGuid():N}");
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(30));
        using var process = Process.Start(Repository.AppHost(
            "--operation", "publish", "--step", "k8s-deploy", "--output-path", output,
            "--kind-cluster", cluster, "--smoke-path", "/productpage"))!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellation.Token);
        var stderr = process.StandardError.ReadToEndAsync(cancellation.Token);
        await process.WaitForExitAsync(cancellation.Token);

        var text = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, $"k8s-deploy failed ({process.ExitCode}):\n{text}");
        Assert.Contains("smoke test: GET http://localhost:9080/productpage → 200", text);
    }
}
