using Aspire.Hosting.ApplicationModel;
using LocalMesh.Emulator.Telemetry;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Hosting;

/// <summary>
/// Where the mesh's logs go. Each entry is shown with the resource it is about (a function's
/// scale decisions with the function, a broker's deliveries with the broker, everything else with
/// the mesh), in the dashboard's console log and, when a dashboard listens, as structured logs.
/// The AppHost's own console gets what a user needs to read there — the mesh's start-up lines,
/// notices and readiness, and errors from anywhere — and never a line per request.
/// </summary>
internal sealed class MeshResourceLogs(
    ResourceLoggerService resourceLogs,
    IReadOnlyList<IResource> resources,
    MeshResource mesh,
    ILoggerFactory console,
    MeshTelemetryExporter? telemetry) : ILoggerProvider
{
    /// <summary>The category of the mesh's lines in the AppHost's console.</summary>
    public const string ConsoleCategory = "LocalMesh";

    private readonly ILogger _console = console.CreateLogger(ConsoleCategory);

    /// <summary>
    /// A logger factory for the data plane: its own entries from Information up, the web server's
    /// (Kestrel, ASP.NET Core) from Warning up, so no request is ever logged.
    /// </summary>
    public ILoggerFactory CreateFactory() => LoggerFactory.Create(logging => logging
        .SetMinimumLevel(LogLevel.Information)
        .AddFilter("Microsoft", LogLevel.Warning)
        .AddFilter("System", LogLevel.Warning)
        .AddProvider(this));

    public ILogger CreateLogger(string categoryName)
    {
        var name = MeshLogCategories.ResourceOf(categoryName);
        var resource = resources.FirstOrDefault(r => r.Name == name) ?? mesh;
        ILogger[] targets =
        [
            resourceLogs.GetLogger(resource),
            .. telemetry?.Logger(resource.Name, categoryName) is { } structured ? [structured] : Array.Empty<ILogger>(),
        ];
        return new Logger(targets, _console, echoFrom: categoryName == MeshLogCategories.Mesh ? LogLevel.Information : LogLevel.Error);
    }

    public void Dispose()
    {
    }

    private sealed class Logger(ILogger[] targets, ILogger console, LogLevel echoFrom) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            foreach (var target in targets)
            {
                target.Log(logLevel, eventId, state, exception, formatter);
            }

            if (logLevel >= echoFrom)
            {
                console.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
