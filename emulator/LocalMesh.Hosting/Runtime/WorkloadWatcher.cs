using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using LocalMesh.Emulator;
using LocalMesh.Emulator.Configuration;

namespace LocalMesh.Hosting;

/// <summary>
/// Follows every replica of every workload: when one is running and healthy its application
/// address goes into the data plane, when it stops it goes out; its process, which alone may use
/// the workload's outbound sidecars, goes in as soon as it runs. Replica indexes are handed out
/// in the order replicas appear. A replica without health checks is ready once its port accepts a
/// connection, as Kubernetes' <c>tcpSocket</c> readiness probe decides: running is not listening.
/// </summary>
internal sealed class WorkloadWatcher(ResourceNotificationService notifications, CompiledMesh mesh, MeshServer server)
{
    /// <summary>How often a replica's port is tried until it accepts a connection.</summary>
    private static readonly TimeSpan ProbePeriod = TimeSpan.FromMilliseconds(200);

    // The replicas whose port is being probed, by inbound listener; replaced or cancelled by the replica's next update.
    private readonly Dictionary<string, (Uri Address, CancellationTokenSource Probe)> _probes = new(StringComparer.Ordinal);
    private readonly Lock _applications = new();

    public async Task WatchAsync(CancellationToken cancellationToken)
    {
        var workloads = mesh.Workloads.ToDictionary(w => w.Resource.Name, w => w.Workload);
        var replicas = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        try
        {
            await foreach (var update in notifications.WatchAsync(cancellationToken))
            {
                if (!workloads.TryGetValue(update.Resource.Name, out var workload))
                {
                    continue;
                }

                var ids = replicas.TryGetValue(workload.Name, out var known) ? known : replicas[workload.Name] = [];
                var index = ids.IndexOf(update.ResourceId);
                if (index < 0)
                {
                    if (ids.Count >= workload.Replicas)
                    {
                        continue;
                    }

                    ids.Add(update.ResourceId);
                    index = ids.Count - 1;
                }

                // Its process may use its outbound sidecars from the moment it runs, before it is ready to serve.
                server.CallerProcesses.Set(workload.Name, index, update.Snapshot.State?.Text == KnownResourceStates.Running ? ProcessId(update.Snapshot) : null);
                var address = IsReady(update.Snapshot) ? ApplicationAddress(update.Resource, update.Snapshot) : null;
                var listener = ListenerConfig.Inbound(workload.Name, index).Name;
                lock (_applications)
                {
                    if (_probes.TryGetValue(listener, out var pending))
                    {
                        if (pending.Address == address)
                        {
                            continue;
                        }

                        _probes.Remove(listener);
                        pending.Probe.Cancel();
                    }

                    if (address == server.State.Snapshot.Applications.GetValueOrDefault(listener))
                    {
                        continue;
                    }

                    if (address is null || !update.Snapshot.HealthReports.IsEmpty)
                    {
                        // Its health checks already proved it serves (or it stopped).
                        server.State.SetApplication(workload.Name, index, address);
                        continue;
                    }

                    var probe = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    _probes[listener] = (address, probe);
                    _ = AddOnceListeningAsync(workload.Name, index, listener, address, probe);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task AddOnceListeningAsync(string workload, int index, string listener, Uri address, CancellationTokenSource probe)
    {
        try
        {
            while (true)
            {
                try
                {
                    using var connection = new System.Net.Sockets.TcpClient();
                    await connection.ConnectAsync(address.Host, address.Port, probe.Token);
                    break;
                }
                catch (System.Net.Sockets.SocketException)
                {
                    await Task.Delay(ProbePeriod, probe.Token);
                }
            }

            lock (_applications)
            {
                if (!probe.IsCancellationRequested)
                {
                    _probes.Remove(listener);
                    server.State.SetApplication(workload, index, address);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            probe.Dispose();
        }
    }

    /// <summary>The replica's process, as the orchestrator reports it (<c>executable.pid</c>).</summary>
    internal static int? ProcessId(CustomResourceSnapshot snapshot) =>
        snapshot.Properties.FirstOrDefault(property => property.Name == "executable.pid")?.Value is { } value
        && int.TryParse(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture), out var id) ? id : null;

    private static bool IsReady(CustomResourceSnapshot snapshot) =>
        snapshot.State?.Text == KnownResourceStates.Running
        && (snapshot.HealthReports.IsEmpty || snapshot.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy);

    /// <summary>
    /// Where one replica's application listens: its HTTP endpoint, or the HTTPS one when that is all
    /// it has (the inbound sidecar then originates TLS to it), or its TCP endpoint when it serves TCP.
    /// Each replica has its own HTTP port, which DCP only reports through the replica's effective environment.
    /// </summary>
    internal static Uri? ApplicationAddress(IResource resource, CustomResourceSnapshot snapshot)
    {
        var environment = snapshot.EnvironmentVariables.ToDictionary(variable => variable.Name, variable => variable.Value, StringComparer.Ordinal);
        var endpoints = resource.Annotations.OfType<EndpointAnnotation>().ToList();
        if (MeshModelCompiler.ProtocolOf(resource) == LocalMesh.Emulator.Configuration.ServiceProtocol.Tcp)
        {
            // A TCP port: where it was allocated (the application's own port when the endpoint is not proxied).
            return endpoints.First(e => e.Protocol == System.Net.Sockets.ProtocolType.Tcp).AllocatedEndpoint is { } tcp
                ? new Uri($"tcp://127.0.0.1:{tcp.Port}")
                : null;
        }

        var scheme = endpoints.Count > 0 && endpoints.All(e => e.UriScheme == Uri.UriSchemeHttps) ? Uri.UriSchemeHttps : Uri.UriSchemeHttp;
        var endpoint = endpoints.FirstOrDefault(e => e.UriScheme == scheme);

        if (environment.GetValueOrDefault("ASPNETCORE_URLS") is { } urls)
        {
            foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme == scheme)
                {
                    return new Uri($"{scheme}://127.0.0.1:{uri.Port}");
                }
            }
        }

        return endpoint?.AllocatedEndpoint is { } allocated ? new Uri($"{scheme}://127.0.0.1:{allocated.Port}") : null;
    }
}
