using System.Diagnostics;
using System.IO.Compression;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace LocalMesh.Kubernetes.Deploy;

/// <summary>
/// Images for a kind cluster without a registry: each project built by the .NET SDK's container
/// publishing into an archive, then imported into the kind node's containerd through the Docker
/// engine API (what <c>kind load image-archive</c> does).
/// </summary>
/// <param name="docker">The Docker engine kind's nodes run in.</param>
/// <param name="progress">Receives a line per step.</param>
internal sealed class KindImages(IDockerClient docker, Action<string> progress)
{
    /// <summary>A client for the local Docker engine (<c>DOCKER_HOST</c>, or the default socket), checked with a ping.</summary>
    /// <exception cref="DeployException">No engine answers; the message says what to do.</exception>
    public static async Task<IDockerClient> ConnectAsync(CancellationToken cancellationToken = default) =>
        await ConnectAsync(Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } configured
            ? new Uri(configured)
            : new Uri(OperatingSystem.IsWindows() ? "npipe://./pipe/docker_engine" : "unix:///var/run/docker.sock"), cancellationToken);

    /// <summary>A client for the Docker engine at <paramref name="host"/>, checked with a ping.</summary>
    /// <exception cref="DeployException">No engine answers there.</exception>
    public static async Task<IDockerClient> ConnectAsync(Uri host, CancellationToken cancellationToken = default)
    {
        var client = new DockerClientConfiguration(host).CreateClient();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            await client.System.PingAsync(timeout.Token);
            return client;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            client.Dispose();
            throw new DeployException($"No Docker engine answers at {host} ({ex.GetBaseException().Message.TrimEnd('.')}). kind runs its nodes in Docker: start it (e.g. 'dockerd'), or set DOCKER_HOST.", ex);
        }
    }

    /// <summary>The kind node container of <paramref name="cluster"/>'s control plane.</summary>
    public static string NodeOf(string cluster) => $"{cluster}-control-plane";

    /// <summary>Builds <paramref name="projectPath"/> into an image archive named <paramref name="image"/> (<c>repository:tag</c>).</summary>
    public async Task<string> BuildAsync(string projectPath, string image, string directory, CancellationToken cancellationToken)
    {
        var (repository, tag) = (image[..image.LastIndexOf(':')], image[(image.LastIndexOf(':') + 1)..]);
        var archive = Path.Combine(directory, $"{repository.Replace('/', '_')}.tar.gz");
        progress($"build {image} from {Path.GetFileName(projectPath)}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
        {
            "publish", projectPath, "-c", "Release", "-t:PublishContainer",
            $"-p:ContainerRepository={repository}", $"-p:ContainerImageTag={tag}", $"-p:ContainerArchiveOutputPath={archive}",
        })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0 || !File.Exists(archive))
        {
            var tail = string.Join('\n', (await output + await errors).Split('\n').TakeLast(15));
            throw new DeployException($"Building the image {image} from {projectPath} failed ({process.ExitCode}):\n{tail}");
        }

        return archive;
    }

    /// <summary>Imports an image archive into the node's containerd (namespace k8s.io), streaming it to <c>ctr images import</c>.</summary>
    public async Task LoadAsync(string archive, string node, CancellationToken cancellationToken)
    {
        progress($"load {Path.GetFileName(archive)} into {node}");
        ContainerExecCreateResponse exec;
        try
        {
            exec = await docker.Exec.ExecCreateContainerAsync(node, new ContainerExecCreateParameters
            {
                AttachStdin = true,
                AttachStdout = true,
                AttachStderr = true,
                Cmd = ["ctr", "--namespace=k8s.io", "images", "import", "--all-platforms", "--digests", "--snapshotter=overlayfs", "-"],
            }, cancellationToken);
        }
        catch (DockerContainerNotFoundException ex)
        {
            throw new DeployException($"There is no kind node '{node}'. Create the cluster with 'kind create cluster --config <output>/kind/cluster.config' or name the one you have.", ex);
        }

        using var stream = await docker.Exec.StartAndAttachContainerExecAsync(exec.ID, tty: false, cancellationToken);
        await using (var file = File.OpenRead(archive))
        await using (var tar = new GZipStream(file, CompressionMode.Decompress))
        {
            var buffer = new byte[81920];
            int read;
            while ((read = await tar.ReadAsync(buffer, cancellationToken)) > 0)
            {
                await stream.WriteAsync(buffer, 0, read, cancellationToken);
            }
        }

        stream.CloseWrite();
        var (stdout, stderr) = await stream.ReadOutputToEndAsync(cancellationToken);
        var result = await docker.Exec.InspectContainerExecAsync(exec.ID, cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new DeployException($"Importing {Path.GetFileName(archive)} into {node} failed ({result.ExitCode}): {stderr}{stdout}");
        }
    }
}
