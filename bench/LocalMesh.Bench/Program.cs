// LocalMesh's benchmarks: every measurement in one run on this machine, printed as one table.
//
//   dotnet run -c Release --project bench/LocalMesh.Bench [-- <area> ...]
//
// Areas: routing, coldstart (all when none is named).
using LocalMesh.Bench;

var areas = args.Length == 0 ? ["routing", "coldstart"] : args;
var rows = new List<Row>();
foreach (var area in areas)
{
    Console.Error.WriteLine($"Running {area}…");
    rows.AddRange(area switch
    {
        "routing" => RouteMatchingBenchmark.Run(),
        "coldstart" => await ColdStartBenchmark.RunAsync(rounds: 20, warmRequests: 20),
        _ => throw new ArgumentException($"Unknown area '{area}'. Known: routing, coldstart."),
    });
}

Console.WriteLine(Table.Render(rows, Table.Machine()));
