using System.Diagnostics;
using System.Net;

namespace LocalMesh.EndToEnd.Tests;

/// <summary>Listening TCP sockets and their owners, from <c>ss</c>.</summary>
internal static class Sockets
{
    /// <param name="Inode">The socket's inode: the same socket whichever process holds it now.</param>
    public sealed record Listener(IPAddress Address, int Port, int Pid, long Inode);

    public static IReadOnlyList<Listener> Listeners()
    {
        using var ss = Process.Start(new ProcessStartInfo("ss", "-ltnpeH") { RedirectStandardOutput = true })!;
        var output = ss.StandardOutput.ReadToEnd();
        ss.WaitForExit();
        var listeners = new List<Listener>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // State Recv-Q Send-Q Local:Port Peer:Port Process
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var local = fields[3];
            var colon = local.LastIndexOf(':');
            var host = local[..colon].Trim('[', ']');
            var address = host == "*" ? IPAddress.IPv6Any : IPAddress.Parse(host.Split('%')[0]);
            var port = int.Parse(local[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            var inode = long.Parse(System.Text.RegularExpressions.Regex.Match(line, @"ino:(\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            foreach (var pid in System.Text.RegularExpressions.Regex.Matches(line, @"pid=(\d+)").Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)))
            {
                listeners.Add(new Listener(address, port, pid, inode));
            }
        }

        return listeners;
    }
}
