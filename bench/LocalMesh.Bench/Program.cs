// LocalMesh's benchmarks: every measurement in one run on this machine, printed as one table.
//
//   dotnet run -c Release --project bench/LocalMesh.Bench [-- <area> ...]
//
// Areas: path, protocols, routing, yaml, callercheck, coldstart, memory, startup (all when none is named, in this order:
// the AppHost runs last, as their workloads take a while to wind down); grpc, websocket and tcp, the
// parts of protocols, only when named; and soak [minutes], only when named: the mesh under load for 30
// minutes (or the minutes given) while faults come and go.
using LocalMesh.Bench;

if (args is ["backend", var port])
{
    // The request-path benchmark's application, in a process of its own.
    await RequestPathBenchmark.Backend.ServeAsync(int.Parse(port, System.Globalization.CultureInfo.InvariantCulture));
    return;
}

if (args is ["grpcbackend", var grpcPort, var webSocketPort])
{
    // The protocols benchmark's gRPC and WebSocket backend, in a process of its own.
    await ProtocolsBenchmark.GrpcBackend.ServeAsync(
        int.Parse(grpcPort, System.Globalization.CultureInfo.InvariantCulture), int.Parse(webSocketPort, System.Globalization.CultureInfo.InvariantCulture));
    return;
}

if (args is ["dataplane", var services])
{
    // The memory benchmark's data plane alone, in a process of its own.
    await AppHostBenchmark.ServeDataPlaneAsync(int.Parse(services, System.Globalization.CultureInfo.InvariantCulture));
    return;
}

if (args is ["mesh", var backend, var mode])
{
    // The request path's mesh alone, to profile it: prints the caller's outbound address and runs until stopped.
    await RequestPathBenchmark.ServeMeshAsync(new Uri(backend), Enum.Parse<LocalMesh.Emulator.Configuration.MutualTlsMode>(mode, ignoreCase: true));
    return;
}

if (args is ["tcpmesh", var tcpMode, var loops])
{
    // The TCP area's mesh alone, with Garnet behind it, on the mesh's event loops or not (1 / 0): prints the caller's outbound port and runs until stopped.
    await ProtocolsBenchmark.ServeTcpMeshAsync(Enum.Parse<LocalMesh.Emulator.Configuration.MutualTlsMode>(tcpMode, ignoreCase: true), loops == "1");
    return;
}

if (args is ["soak", .. var minutes])
{
    var duration = TimeSpan.FromMinutes(minutes is [var given] ? double.Parse(given, System.Globalization.CultureInfo.InvariantCulture) : 30);
    Console.WriteLine(Table.Render(await SoakBenchmark.RunAsync(duration), Table.Machine()));
    return;
}

string[] known = ["path", "protocols", "routing", "yaml", "callercheck", "coldstart", "memory", "startup"];
string[] areas = args.Length == 0 ? known : args;
if (areas.FirstOrDefault(area => !known.Contains(area) && !ProtocolsBenchmark.Parts.Contains(area)) is { } unknown)
{
    Console.Error.WriteLine($"Unknown area '{unknown}'. Known: {string.Join(", ", known)}; protocols' parts alone: {string.Join(", ", ProtocolsBenchmark.Parts)}; and soak [minutes].");
    return;
}

var rows = new List<Row>();
foreach (var area in areas)
{
    Console.Error.WriteLine($"Running {area}…");
    try
    {
        var measured = area switch
        {
            "path" => await RequestPathBenchmark.RunAsync(rounds: 3),
            "protocols" => await ProtocolsBenchmark.RunAsync(ProtocolsBenchmark.Parts),
            "grpc" or "websocket" or "tcp" => await ProtocolsBenchmark.RunAsync(area),
            "routing" => RouteMatchingBenchmark.Run(),
            "yaml" => await ConfigurationFilesBenchmark.RunAsync(rounds: 5),
            "callercheck" => await CallerCheckBenchmark.RunAsync(connections: 500),
            "memory" => await AppHostBenchmark.MemoryAsync(),
            "startup" => await AppHostBenchmark.StartupAsync(rounds: 5),
            _ => await ColdStartBenchmark.RunAsync(rounds: 20, warmRequests: 20),
        };
        rows.AddRange(measured);
        // Each area's rows as soon as it ends, so a later area's trouble loses nothing measured.
        Console.Error.WriteLine(Table.Render(measured, Table.Machine()));
    }
    catch (Exception ex)
    {
        Console.Error.WriteLine($"{area} failed: {ex}");
        rows.Add(new Row(area, "failed", ex.Message.ReplaceLineEndings(" ")));
    }
}

Console.WriteLine(Table.Render(rows, Table.Machine()));
