using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using LocalMesh.Emulator.Telemetry;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Emulator.Security;

/// <summary>
/// An outbound sidecar serves only its workload: a pod's sidecar is reachable from that pod alone,
/// and its certificate proves the workload's identity to every callee. On Linux, each new
/// connection to an outbound listener is checked, once, to come from a process of the calling
/// workload (a replica's process or one of its descendants, as the orchestrator reported them);
/// any other local process is refused with a reset, counted and logged. Until a workload's
/// processes are known (it is still starting), and on other systems, every local process is
/// trusted, which the host says at start-up.
/// </summary>
internal sealed class CallerProcesses(ILogger logger, MeshMetrics metrics)
{
    private readonly ConcurrentDictionary<(string Workload, int Replica), int> _processes = new();

    /// <summary>Whether the check can run here: it reads <c>/proc</c>.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>
    /// Records that replica <paramref name="replica"/> of <paramref name="workload"/> runs as process
    /// <paramref name="processId"/>, or, with <c>null</c>, that it no longer runs.
    /// </summary>
    public void Set(string workload, int replica, int? processId)
    {
        if (processId is { } id)
        {
            _processes[(workload, replica)] = id;
        }
        else
        {
            _processes.TryRemove((workload, replica), out _);
        }
    }

    /// <summary>The processes of <paramref name="workload"/>'s replicas; empty while none is known.</summary>
    public ImmutableArray<int> Of(string workload) =>
        [.. _processes.Where(pair => pair.Key.Workload == workload).Select(pair => pair.Value)];

    internal Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next, string listener, string workload)
    {
        if (!IsSupported || Of(workload) is not { IsEmpty: false } processes
            || connection.RemoteEndPoint is not IPEndPoint client || connection.LocalEndPoint is not IPEndPoint local)
        {
            return next(connection);
        }

        // Most often the workload's own process calls; the processes it started are looked for only when it did not.
        var inode = LoopbackSockets.Inode(client, local.Port);
        if (inode is { } socket
            && (LoopbackSockets.OwnedBy(socket, processes) || LoopbackSockets.OwnedBy(socket, LoopbackSockets.Descendants(processes).Except(processes))))
        {
            return next(connection);
        }

        metrics.ConnectionsRefused.Add(1,
            new KeyValuePair<string, object?>(MeshTelemetry.Attributes.Listener, listener),
            new KeyValuePair<string, object?>("reason", "not the workload's process"));
        var owner = inode is { } found ? LoopbackSockets.Describe(LoopbackSockets.Owner(found)) : "an unknown process";
        logger.LogWarning("Refused a connection to {Listener} from {Owner}: only {Workload}'s processes ({Processes}) may use its outbound sidecar, which proves {Workload}'s identity.",
            listener, owner, workload, string.Join(", ", processes), workload);
        connection.Abort(new ConnectionAbortedException($"{owner} is not a process of {workload}"));
        return Task.CompletedTask;
    }
}

/// <summary>Who holds a loopback TCP connection, from <c>/proc</c> (Linux only).</summary>
internal static class LoopbackSockets
{
    /// <summary>The inode of the client socket connected from <paramref name="client"/> to port <paramref name="serverPort"/> on loopback.</summary>
    public static long? Inode(IPEndPoint client, int serverPort) =>
        // The kernel's socket diagnostics find the one socket at once; /proc/net/tcp lists every socket (thousands
        // in TIME_WAIT under load, milliseconds to read) and is only the fallback.
        SocketDiagnostics.Inode(client, serverPort) ?? ProcNetTcpInode(client, serverPort);

    private static long? ProcNetTcpInode(IPEndPoint client, int serverPort)
    {
        // "sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...". A client may
        // connect from an IPv4 socket (/proc/net/tcp) or a dual-stack one (/proc/net/tcp6, as HttpClient does).
        foreach (var (table, address) in new (string, Func<IPAddress, int, string>)[] { ("/proc/net/tcp", Address), ("/proc/net/tcp6", Address6) })
        {
            var local = address(client.Address, client.Port);
            var remote = address(client.Address, serverPort);
            foreach (var line in Safe(() => File.ReadAllLines(table)))
            {
                if (!line.Contains(local, StringComparison.Ordinal))
                {
                    continue;
                }

                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 9 && fields[1] == local && fields[2] == remote)
                {
                    return long.Parse(fields[9], CultureInfo.InvariantCulture);
                }
            }
        }

        return null;
    }

    /// <summary><paramref name="roots"/> and every process they started, and those started, as the kernel lists children.</summary>
    public static HashSet<int> Descendants(IEnumerable<int> roots)
    {
        var all = new HashSet<int>();
        var pending = new Queue<int>(roots);
        while (pending.TryDequeue(out var process))
        {
            if (!all.Add(process))
            {
                continue;
            }

            foreach (var task in Safe(() => Directory.GetDirectories($"/proc/{process}/task")))
            {
                var children = Safe(() => File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries));
                foreach (var child in children)
                {
                    pending.Enqueue(int.Parse(child, CultureInfo.InvariantCulture));
                }
            }
        }

        return all;
    }

    /// <summary>Whether one of <paramref name="processes"/> has the socket <paramref name="inode"/> open.</summary>
    public static bool OwnedBy(long inode, IEnumerable<int> processes) =>
        processes.Any(process => Safe(() => Directory.GetFiles($"/proc/{process}/fd")).Any(descriptor => SocketDiagnostics.IsSocket(descriptor, inode)));

    /// <summary>The process holding the socket <paramref name="inode"/>, looked up among all processes (only when refusing one).</summary>
    public static int? Owner(long inode) =>
        Safe(() => Directory.GetDirectories("/proc"))
            .Select(directory => int.TryParse(Path.GetFileName(directory), out var process) ? process : (int?)null)
            .OfType<int>()
            .FirstOrDefault(process => OwnedBy(inode, [process])) is var owner and not 0 ? owner : null;

    public static string Describe(int? process) => process is { } id
        ? $"process {id} ({Safe(() => File.ReadAllText($"/proc/{id}/comm").Trim()) ?? "?"})"
        : "a process this user cannot see";

    /// <summary>An IPv4 endpoint as /proc/net/tcp writes it: the address as one host-order word in hex, the port in hex.</summary>
    private static string Address(IPAddress address, int port) =>
        $"{BitConverter.ToUInt32(address.MapToIPv4().GetAddressBytes()):X8}:{port:X4}";

    /// <summary>The same endpoint as /proc/net/tcp6 writes it: the IPv4-mapped IPv6 address as four host-order words.</summary>
    private static string Address6(IPAddress address, int port)
    {
        var bytes = address.MapToIPv6().GetAddressBytes();
        return string.Concat(Enumerable.Range(0, 4).Select(word => BitConverter.ToUInt32(bytes, word * 4).ToString("X8", CultureInfo.InvariantCulture))) + $":{port:X4}";
    }

    /// <summary>What <paramref name="read"/> gives, or nothing when the process (or the file) has gone meanwhile or is not ours to read.</summary>
    private static T[] Safe<T>(Func<T[]> read)
    {
        try
        {
            return read();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static string? Safe(Func<string?> read)
    {
        try
        {
            return read();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
