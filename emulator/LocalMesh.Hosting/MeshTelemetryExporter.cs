using Aspire.Hosting;
using LocalMesh.Emulator.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace LocalMesh.Hosting;

/// <summary>
/// Sends the mesh's spans and metrics to the dashboard over OTLP, under the mesh resource's
/// name, with the same API key the AppHost gives every resource.
/// </summary>
internal sealed class MeshTelemetryExporter : IDisposable
{
    private readonly TracerProvider _tracing;
    private readonly MeterProvider _metrics;

    private MeshTelemetryExporter(TracerProvider tracing, MeterProvider metrics)
    {
        _tracing = tracing;
        _metrics = metrics;
    }

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
        return new MeshTelemetryExporter(tracing, metrics);
    }

    public void Dispose()
    {
        _tracing.Dispose();
        _metrics.Dispose();
    }
}
