using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace LocalMesh.Bench;

/// <summary>
/// The proxies the mesh is measured against, from Debian: nginx and HAProxy, each configured as its
/// documentation recommends for a reverse proxy (keep-alive upstreams, a worker or a thread per
/// core, logging off) and chained twice, as a caller's sidecar and the callee's are. With TLS
/// between them, the second asks for a client certificate and the first presents one and checks the
/// second's (ECDSA P-256 under one CA, TLS 1.3), as two sidecars speak mutual TLS. Each runs from a
/// folder of its own holding its configuration, so it can be read (and re-run) while it runs.
/// </summary>
internal sealed class PeerProxy : IDisposable
{
    private readonly Process _process;
    private readonly bool _workers;

    private PeerProxy(Process process, PeerFolder folder, bool workers, string scheme) =>
        (_process, Folder, _workers, Address) = (process, folder, workers, new Uri($"{scheme}://127.0.0.1:{folder.First}/"));

    /// <summary>Where callers connect: the first proxy.</summary>
    public Uri Address { get; }

    /// <summary>The folder with its configuration and certificates.</summary>
    public PeerFolder Folder { get; }

    /// <summary>What the proxies spent: nginx's workers (its master only watches them), or HAProxy's one process.</summary>
    public Usage Usage() => Bench.Usage.Of(_workers ? CpuTime.ChildrenOf(_process.Id) : [_process.Id]);

    /// <summary>nginx with <paramref name="configuration"/> (the part inside its top level, after the common settings), loading <paramref name="module"/> first when given.</summary>
    public static PeerProxy Nginx(string name, Func<PeerFolder, string> configuration, string scheme = "http", string? module = null)
    {
        Tools.Require("nginx");
        var folder = PeerFolder.Create($"nginx-{name}");
        folder.Write("nginx.conf", $$"""
            {{(module is null ? "" : $"load_module {module};")}}
            worker_processes {{Environment.ProcessorCount}};
            daemon off;
            pid {{folder.Path}}/nginx.pid;
            error_log {{folder.Path}}/error.log warn;
            events { worker_connections 4096; }
            {{configuration(folder)}}
            """);
        var process = Process.Start(new ProcessStartInfo("nginx", ["-c", folder.File("nginx.conf"), "-p", folder.Path]) { RedirectStandardError = true })!;
        return new PeerProxy(Listening(process, folder, "nginx.conf"), folder, workers: true, scheme);
    }

    /// <summary>
    /// The settings every nginx peer's <c>http</c> block starts with: no access log, its temporary
    /// files in its folder, connections kept as long as the load runs (nginx closes one after 1,000
    /// requests by default, and h2load does not reconnect), and keep-alive upstreams <c>second</c>
    /// (the second proxy) and <c>backend</c>.
    /// </summary>
    public static string NginxHttpSettings(PeerFolder folder, Uri backend) => $$"""
        access_log off;
            keepalive_requests 1000000;
            client_body_temp_path {{folder.Path}}/body;
            proxy_temp_path {{folder.Path}}/proxy;
            fastcgi_temp_path {{folder.Path}}/fastcgi;
            uwsgi_temp_path {{folder.Path}}/uwsgi;
            scgi_temp_path {{folder.Path}}/scgi;
            upstream second { server 127.0.0.1:{{folder.Second}}; keepalive 128; keepalive_requests 1000000; }
            upstream backend { server {{backend.Authority}}; keepalive 128; keepalive_requests 1000000; }
        """;

    /// <summary>HAProxy with <paramref name="configuration"/> (its frontends and backends, after the common settings).</summary>
    public static PeerProxy HAProxy(string name, string mode, Func<PeerFolder, string> configuration, string scheme = "http")
    {
        Tools.Require("haproxy");
        var folder = PeerFolder.Create($"haproxy-{name}");
        folder.Write("haproxy.cfg", $"""
            global
                nbthread {Environment.ProcessorCount}
                maxconn 8192
                tune.ssl.default-dh-param 2048
            defaults
                mode {mode}
                timeout connect 5s
                timeout client 60s
                timeout server 60s
                option http-keep-alive
            {configuration(folder)}

            """);
        var process = Process.Start(new ProcessStartInfo("haproxy", ["-f", folder.File("haproxy.cfg")]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        return new PeerProxy(Listening(process, folder, "haproxy.cfg"), folder, workers: false, scheme);
    }

    /// <summary><paramref name="process"/> once its first proxy listens; if it does not, why, with the configuration kept to read.</summary>
    private static Process Listening(Process process, PeerFolder folder, string configuration)
    {
        try
        {
            Tools.WaitForPort(folder.First);
            return process;
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new InvalidOperationException($"{folder.File(configuration)} did not start a proxy on port {folder.First}: {process.StandardError.ReadToEnd()}");
        }
    }

    public void Dispose()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
        Directory.Delete(Folder.Path, recursive: true);
    }
}

/// <summary>A peer's folder: its two ports (the first proxy's, the second's) and, written into it, a CA and a certificate for each proxy.</summary>
internal sealed class PeerFolder
{
    private PeerFolder(string path) => Path = path;

    public string Path { get; }

    public int First { get; } = Tools.FreePort();

    public int Second { get; } = Tools.FreePort();

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Write(string name, string text) => System.IO.File.WriteAllText(File(name), text);

    public static PeerFolder Create(string name)
    {
        var folder = new PeerFolder(Directory.CreateTempSubdirectory($"localmesh-bench-{name}-").FullName);
        folder.WriteCertificates();
        return folder;
    }

    /// <summary>
    /// <c>ca.pem</c>; for <c>first</c> and <c>second</c>: <c>.pem</c> (certificate), <c>.key</c>, and
    /// <c>.bundle</c> (both, as HAProxy reads them); each certificate names its proxy (<c>DNS:first</c>, <c>DNS:second</c>).
    /// </summary>
    private void WriteCertificates()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=bench-ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        Write("ca.pem", ca.ExportCertificatePem());
        foreach (var name in new[] { "first", "second" })
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName(name);
            request.CertificateExtensions.Add(names.Build());
            using var certificate = request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(8));
            Write($"{name}.pem", certificate.ExportCertificatePem());
            Write($"{name}.key", key.ExportPkcs8PrivateKeyPem());
            Write($"{name}.bundle", certificate.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n");
        }
    }
}
