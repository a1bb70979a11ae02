using System.Collections.Concurrent;
using Aspire.Hosting;
using LocalMesh.Emulator.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace LocalMesh.Hosting;

/// <summary>
/// Sends the mesh's spans, metrics and logs to the dashboard over OTLP, spans and metrics under
/// the mesh resource's name, logs under the resource they are about, with the same API key
/// the AppHost gives every resource.
/// </summary>
internal sealed class MeshTelemetryExporter : IDisposable
{
    private readonly TracerProvider _tracing;
    private readonly MeterProvider _metrics;
    private readonly Action<OpenTelemetry.Exporter.OtlpExporterOptions> _configure;
    private readonly ConcurrentDictionary<string, ILoggerFactory> _logs = new(StringComparer.Ordinal);

    private MeshTelemetryExporter(TracerProvider tracing, MeterProvider metrics, Action<OpenTelemetry.Exporter.OtlpExporterOptions> configure)
    {
        _tracing = tracing;
        _metrics = metrics;
        _configure = configure;
    }

    /// <summary>
    /// A logger whose entries reach the dashboard's structured logs under <paramref name="serviceName"/>
    /// (a resource's name, so the mesh's entries about a function sit with the function's own).
    /// </summary>
    public ILogger Logger(string serviceName, string category) =>
        _logs.GetOrAdd(serviceName, name => LoggerFactory.Create(logging => logging
            .SetMinimumLevel(LogLevel.Trace)
            .AddOpenTelemetry(otel =>
            {
                otel.SetResourceBuilder(ResourceBuilder.CreateDefault().AddService(name, serviceInstanceId: name));
                otel.IncludeFormattedMessage = true;
                otel.AddOtlpExporter(_configure);
            })))
        .CreateLogger(category);

    /// <summary>Starts exporting, or returns <c>null</c> when no dashboard is listening.</summary>
    public static MeshTelemetryExporter? Start(string serviceName, IServiceProvider services, IConfiguration configuration)
    {
        var options = services.GetService<IOptions<DistributedApplicationOptions>>()?.Value ?? services.GetService<DistributedApplicationOptions>();
        var endpoint = configuration["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] ?? configuration["DOTNET_DASHBOARD_OTLP_ENDPOINT_URL"];
        if (options?.DisableDashboard == true || string.IsNullOrEmpty(endpoint))
        {
            return null;
        }

        var apiKey = configuration["AppHost:OtlpApiKey"];
        void Configure(OpenTelemetry.Exporter.OtlpExporterOptions otlp)
        {
            otlp.Endpoint = new Uri(endpoint);
            if (!string.IsNullOrEmpty(apiKey))
            {
                otlp.Headers = $"x-otlp-api-key={apiKey}";
            }
        }

        var resource = ResourceBuilder.CreateDefault().AddService(serviceName, serviceInstanceId: serviceName);
        var tracing = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(resource)
            .AddSource(MeshTelemetry.SourceName)
            .AddOtlpExporter(Configure)
            .Build();
        var metrics = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(resource)
            .AddMeter(MeshTelemetry.SourceName)
            .AddOtlpExporter((otlp, reader) =>
            {
                Configure(otlp);
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 5_000;
            })
            .Build();
        return new MeshTelemetryExporter(tracing, metrics, Configure);
    }

    public void Dispose()
    {
        _tracing.Dispose();
        _metrics.Dispose();
        foreach (var logs in _logs.Values)
        {
            logs.Dispose();
        }
    }
}
