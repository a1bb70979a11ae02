using Microsoft.Extensions.Logging;

namespace LocalMesh.Emulator.Listeners;

/// <summary>
/// The host's loggers for the data plane's Kestrel, without Kestrel's start-up warning that HTTP/2
/// is off on a plaintext endpoint serving HTTP/1.1 too (here it is not, as
/// <see cref="HttpProtocolDetection"/> tells the two apart by the connection's first bytes), and
/// without the embedded host's "Hosting failed to start" and its stack trace: the mesh says why it
/// could not start itself, in one message (<see cref="ListenersUnavailableException"/>).
/// </summary>
internal sealed class KestrelLogFilter(ILoggerFactory inner) : ILoggerFactory
{
    private const string KestrelCategory = "Microsoft.AspNetCore.Server.Kestrel";
    private const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    /// <summary>Kestrel's <c>Http2DisabledWithHttp1AndNoTls</c>.</summary>
    private const int Http2DisabledWithHttp1AndNoTls = 64;

    /// <summary>The generic host's <c>HostedServiceStartupFaulted</c> ("Hosting failed to start").</summary>
    private const int HostingFailedToStart = 11;

    public ILogger CreateLogger(string categoryName) => categoryName switch
    {
        KestrelCategory => new Filtered(inner.CreateLogger(categoryName), Http2DisabledWithHttp1AndNoTls),
        HostCategory => new Filtered(inner.CreateLogger(categoryName), HostingFailedToStart),
        _ => inner.CreateLogger(categoryName),
    };

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose()
    {
        // The host owns the factory.
    }

    private sealed class Filtered(ILogger logger, int dropped) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => logger.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logger.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id != dropped)
            {
                logger.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
