using System.Net;
using System.Net.Sockets;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Serverless;

namespace LocalMesh.Hosting;

/// <summary>
/// Starts function instances through the orchestrator (DCP), as it starts every project of the app:
/// when an IDE runs the AppHost, the IDE launches each instance under its debugger. Each revision
/// is a resource under its function in the dashboard, with project resources
/// <c>&lt;revision&gt;-&lt;n&gt;</c> under it that the autoscaler starts and stops with the dashboard's own commands; an instance
/// is ready once its port accepts a connection (Knative's default readiness, a TCP probe).
/// </summary>
/// <remarks>
/// The orchestrator is the slower road (an IDE builds and attaches before the program runs), so an
/// AppHost run from a terminal keeps <see cref="ProcessFunctionLauncher"/>; see <see cref="IsWanted"/>.
/// </remarks>
internal sealed class OrchestratedFunctionLauncher : IFunctionLauncher
{
    /// <summary>How many instances a revision without a <c>maxScale</c> can run under an IDE.</summary>
    public const int DefaultInstances = 3;

    /// <summary>The most instances any revision can run under an IDE: each is a resource in the dashboard.</summary>
    public const int MaxInstances = 10;

    private readonly Dictionary<string, Slot[]> _slots;
    private readonly Lock _lock = new();
    private readonly ResourceNotificationService _notifications;
    private readonly ResourceCommandService _commands;
    private readonly CancellationToken _stopping;

    private OrchestratedFunctionLauncher(Dictionary<string, Slot[]> slots, ResourceNotificationService notifications, ResourceCommandService commands, CancellationToken stopping)
    {
        _slots = slots;
        _notifications = notifications;
        _commands = commands;
        _stopping = stopping;
    }

    /// <summary>
    /// Whether instances go through the orchestrator: as <c>LocalMesh:FunctionInstances</c> says
    /// (<c>orchestrator</c>, or <c>process</c> for the mesh's own fast start even under an IDE), and
    /// otherwise when an IDE runs the AppHost (it sets <c>DEBUG_SESSION_PORT</c>, where DCP asks it to run projects).
    /// </summary>
    public static bool IsWanted(Microsoft.Extensions.Configuration.IConfiguration configuration) => configuration["LocalMesh:FunctionInstances"]?.ToLowerInvariant() switch
    {
        "orchestrator" => true,
        "process" => false,
        _ => !string.IsNullOrEmpty(configuration["DEBUG_SESSION_PORT"]),
    };

    /// <summary>How many instance resources a revision gets: its <c>maxScale</c>, at most <see cref="MaxInstances"/>; <see cref="DefaultInstances"/> without one.</summary>
    public static int InstancesOf(FunctionScaling scaling) => scaling.MaxScale > 0 ? Math.Min(scaling.MaxScale, MaxInstances) : DefaultInstances;

    /// <summary>Adds each revision's instance resources to the app, before the orchestrator starts.</summary>
    /// <param name="revisions">The function revisions the mesh runs.</param>
    /// <param name="functions">The functions, with their projects and environment.</param>
    /// <param name="notifications">The resources' states.</param>
    /// <param name="commands">Starts and stops resources.</param>
    /// <param name="stopping">Signalled when the app stops.</param>
    public static OrchestratedFunctionLauncher Add(
        IEnumerable<WorkloadConfig> revisions, FunctionProcesses functions,
        ResourceNotificationService notifications, ResourceCommandService commands, CancellationToken stopping)
    {
        var slots = new Dictionary<string, Slot[]>(StringComparer.Ordinal);
        foreach (var revision in revisions)
        {
            var function = functions.Of(revision.Service!);
            var builder = function.ApplicationBuilder!;
            var parent = builder.AddResource(new FunctionRevisionResource(revision.Name, function))
                .WithInitialState(new CustomResourceSnapshot { ResourceType = "Revision", State = "Idle", Properties = [] })
                .Resource;
            slots[revision.Name] = [.. Enumerable.Range(1, InstancesOf(revision.Scaling!)).Select(number =>
            {
                var slot = new Slot();
                slot.Resource = builder.AddProject($"{revision.Name}-{number}", function.Project.ProjectPath, options => options.ExcludeLaunchProfile = true)
                    .WithExplicitStart()
                    .WithParentRelationship(parent)
                    .WithEnvironment(async context =>
                    {
                        // Aspire's own OTEL_SERVICE_NAME and instance id stay, so the dashboard shows each instance's telemetry under it.
                        foreach (var (name, value) in await functions.EnvironmentAsync(revision))
                        {
                            if (name is not ("OTEL_SERVICE_NAME" or "OTEL_RESOURCE_ATTRIBUTES"))
                            {
                                context.EnvironmentVariables[name] = value;
                            }
                        }

                        context.EnvironmentVariables["K_SERVICE"] = function.Name;
                        context.EnvironmentVariables["K_REVISION"] = revision.Name;
                        context.EnvironmentVariables["ASPNETCORE_URLS"] = $"http://127.0.0.1:{slot.Port}";
                    })
                    .Resource;
                return slot;
            })];
        }

        return new OrchestratedFunctionLauncher(slots, notifications, commands, stopping);
    }

    /// <inheritdoc />
    public async Task<IFunctionInstance> StartAsync(FunctionInstanceRequest request, CancellationToken cancellationToken)
    {
        // Nothing starts once the app is stopping: the orchestrator accepts no new runs then.
        using var starting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping);
        cancellationToken = starting.Token;
        cancellationToken.ThrowIfCancellationRequested();
        var slot = Take(request);
        var watching = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
        var run = RunAsync(slot, watching);
        var startIssued = false;
        try
        {
            // The orchestrator learns of the resources after the mesh has started: wait until it knows this one.
            await _notifications.WaitForResourceAsync(slot.Resource.Name, update => update.Snapshot.State?.Text is { Length: > 0 }, cancellationToken);
            slot.Port = FreePort(PortsInUse());
            startIssued = true;
            var started = await _commands.ExecuteCommandAsync(slot.Resource, KnownResourceCommands.StartCommand, cancellationToken);
            if (!started.Success)
            {
                startIssued = false;
                throw new FunctionStartException($"the orchestrator did not start {slot.Resource.Name}: {started.Message}");
            }

            await ListeningAsync(slot, run, cancellationToken);
            return new Instance(this, slot, run);
        }
        catch
        {
            try
            {
                if (startIssued)
                {
                    // Stopped while it started: the slot is free once the orchestrator says the run ended
                    // (a start on a resource still stopping would fail), or after a minute of silence.
                    await StopAsync(slot, run);
                    watching.CancelAfter(TimeSpan.FromMinutes(1));
                }
                else
                {
                    // A run that never began is not watched any longer.
                    await watching.CancelAsync();
                }
            }
            catch (ObjectDisposedException)
            {
                // It had ended.
            }

            throw;
        }
    }

    /// <summary>Watches the run the start command begins; once it has ended (or was never begun), the slot is free again.</summary>
    private async Task RunAsync(Slot slot, CancellationTokenSource watching)
    {
        try
        {
            await WatchRunAsync(slot.Resource, watching.Token);
        }
        finally
        {
            watching.Dispose();
            Release(slot);
        }
    }

    /// <summary>
    /// The instance resource for a request: the one of its number, else (that one still stopping) the
    /// first free one, whose name the instance then takes.
    /// </summary>
    private Slot Take(FunctionInstanceRequest request)
    {
        if (!_slots.TryGetValue(request.Revision.Name, out var slots))
        {
            throw new FunctionStartException($"revision {request.Revision.Name} was added while the app ran; under an IDE its instances are resources of the app, so restart the AppHost to run it.");
        }

        lock (_lock)
        {
            var slot = request.Number <= slots.Length && !slots[request.Number - 1].InUse
                ? slots[request.Number - 1]
                : slots.FirstOrDefault(candidate => !candidate.InUse)
                    ?? throw new FunctionStartException($"all {slots.Length} instance resources of {request.Revision.Name} are running; under an IDE a revision runs at most its maxScale instances (at most {MaxInstances}; {DefaultInstances} without a maxScale).");
            slot.InUse = true;
            return slot;
        }
    }

    private void Release(Slot slot)
    {
        lock (_lock)
        {
            slot.InUse = false;
        }
    }

    /// <summary>Completes when the run the start command begins has ended (the program exited, was stopped, or never started).</summary>
    private async Task WatchRunAsync(IResource resource, CancellationToken cancellationToken)
    {
        var begun = false;
        await foreach (var update in _notifications.WatchAsync(cancellationToken))
        {
            if (update.Resource != resource)
            {
                continue;
            }

            var terminal = KnownResourceStates.TerminalStates.Contains(update.Snapshot.State?.Text);
            if (begun && terminal)
            {
                return;
            }

            // The state before the start is the last run's end (or "Not started"): a run has begun once it is neither.
            begun |= !terminal && update.Snapshot.State?.Text is { Length: > 0 } state && state != KnownResourceStates.NotStarted;
        }
    }

    /// <summary>Waits until the instance's port takes connections (it started) or its run ends first (it did not).</summary>
    private static async Task ListeningAsync(Slot slot, Task run, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (run.IsCompleted)
            {
                throw new FunctionStartException($"{slot.Resource.Name} ended before it listened on port {slot.Port}; its console log says why.");
            }

            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await probe.ConnectAsync(IPAddress.Loopback, slot.Port, cancellationToken);
                return;
            }
            catch (SocketException)
            {
                await Task.WhenAny(run, Task.Delay(TimeSpan.FromMilliseconds(25), cancellationToken));
            }
        }
    }

    /// <summary>
    /// A free port for an instance, below the range the system hands out to outgoing connections:
    /// the instance binds it only once its program runs, and a port from that range could meanwhile
    /// become the local end of any connection on the machine (the program then fails to start,
    /// "address already in use"). Port 0 is no choice here: the port is the instance's address
    /// before its program runs.
    /// </summary>
    private static int FreePort(IReadOnlySet<int> given)
    {
        var (first, below) = PortsForListeners();
        for (var attempt = 0; attempt < 20 && below > first; attempt++)
        {
            var port = Random.Shared.Next(first, below);
            if (given.Contains(port))
            {
                continue;
            }

            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken: another.
            }
        }

        using var any = new TcpListener(IPAddress.Loopback, 0);
        any.Start();
        return ((IPEndPoint)any.LocalEndpoint).Port;
    }

    /// <summary>The ports given to the other instances' runs (a program may not have bound its own yet).</summary>
    private HashSet<int> PortsInUse()
    {
        lock (_lock)
        {
            return [.. _slots.Values.SelectMany(slots => slots).Where(slot => slot.InUse && slot.Port != 0).Select(slot => slot.Port)];
        }
    }

    /// <summary>
    /// Up to 8192 ports just below the outgoing connections' range: Linux's
    /// <c>ip_local_port_range</c> (32768 by default), else IANA's dynamic range (from 49152, as Windows and macOS use).
    /// </summary>
    private static (int First, int Below) PortsForListeners()
    {
        var below = 49152;
        try
        {
            if (OperatingSystem.IsLinux() && File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split('\t', StringSplitOptions.TrimEntries) is [var low, ..])
            {
                below = int.Parse(low, System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or FormatException)
        {
            // As elsewhere.
        }

        return (Math.Max(1024, below - 8192), below);
    }

    /// <summary>One instance resource of a revision.</summary>
    private sealed class Slot
    {
        public IResource Resource { get; set; } = null!;

        /// <summary>The port its current run listens on, chosen before each start.</summary>
        public int Port { get; set; }

        public bool InUse { get; set; }

    }

    /// <summary>Stops a run as the orchestrator stops any project (an IDE ends its debug session), and waits a while for its end.</summary>
    private async Task StopAsync(Slot slot, Task run)
    {
        if (run.IsCompleted)
        {
            return;
        }

        await _commands.ExecuteCommandAsync(slot.Resource, KnownResourceCommands.StopCommand, CancellationToken.None);
        // Still stopping after that: the slot stays taken until it has.
        await Task.WhenAny(run, Task.Delay(ProcessFunctionLauncher.StopGracePeriod * 2));
    }

    private sealed class Instance(OrchestratedFunctionLauncher launcher, Slot slot, Task run) : IFunctionInstance
    {
        private int _disposed;

        /// <summary>Its resource's name: the request's, unless that resource was still stopping.</summary>
        public string Name => slot.Resource.Name;

        public Uri Address { get; } = new($"http://127.0.0.1:{slot.Port}");

        public Task Exited => run;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                await launcher.StopAsync(slot, run);
            }
        }
    }
}
