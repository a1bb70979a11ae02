using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Pipelines;
using LocalMesh.Emulator.Explain;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Hosting;

/// <summary>
/// <c>dotnet run --project AppHost -- --operation publish --step mesh-explain --caller productpage-v1
/// --host reviews --path /reviews/0 --header end-user=jason</c>: says what the mesh would do with
/// the request without starting anything, as <c>istioctl x describe</c> does — the route that
/// matches and why earlier ones do not, destinations and weights, fault, timeout, retries, load
/// balancer, mTLS and the authorization decision.
/// </summary>
internal static class MeshExplainPipelineStep
{
    /// <summary>The step's name.</summary>
    public const string Name = "mesh-explain";

    public static void Add(IDistributedApplicationPipeline pipeline) => pipeline.AddStep(new PipelineStep
    {
        Name = Name,
        Description = "Says what the mesh does with one request, rule by rule (--host <service> [--caller <workload>] [--method] [--path] [--header name=value]).",
        Action = Explain,
    });

    private static Task Explain(PipelineStepContext context)
    {
        var logger = context.Logger;
        var options = context.Services.GetRequiredService<IConfiguration>();
        if (options["host"] is not { Length: > 0 } host)
        {
            logger.LogError("mesh-explain needs the request: --host <service or authority> [--caller <workload or gateway>] [--method GET] [--path /] [--header name=value ...]");
            Environment.ExitCode = 2;
            return Task.CompletedTask;
        }

        try
        {
            var compiled = MeshModelCompiler.Compile(context.Model, context.Model.Resources.OfType<MeshResource>().Single());
            var request = new ExplainRequest(options["caller"], host, options["path"] ?? "/")
            {
                Method = options["method"] ?? "GET",
                Headers = HeaderOptions(Environment.GetCommandLineArgs()),
            };
            logger.LogInformation("{Request}\n{Explanation}", Describe(request), RequestExplainer.Explain(compiled.Config, request, compiled.SourceOf));
        }
        catch (MeshModelException error)
        {
            logger.LogError("{Errors}", error.Message);
            Environment.ExitCode = 1;
        }
        catch (ArgumentException error)
        {
            logger.LogError("{Problem}", error.Message);
            Environment.ExitCode = 2;
        }

        return Task.CompletedTask;
    }

    /// <summary>How an explanation names the request it explains.</summary>
    public static string Describe(ExplainRequest request) =>
        $"{request.Method} http://{request.Host}{request.Path}{string.Concat(request.Headers.Select(header => $" {header.Key}: {header.Value}"))} from {request.Caller ?? "outside the mesh"}:";

    /// <summary>Every <c>--header name=value</c> given (the option may repeat).</summary>
    private static Dictionary<string, string> HeaderOptions(string[] args)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var index = 0; index < args.Length - 1; index++)
        {
            if (args[index] == "--header")
            {
                var (name, value) = ParseHeader(args[index + 1]);
                headers[name] = value;
            }
        }

        return headers;
    }

    /// <summary>A header written <c>name=value</c> or <c>name: value</c>.</summary>
    public static KeyValuePair<string, string> ParseHeader(string text)
    {
        var cut = text.IndexOfAny(['=', ':']);
        return cut > 0
            ? new(text[..cut].Trim().ToLowerInvariant(), text[(cut + 1)..].Trim())
            : throw new ArgumentException($"'{text}' is not a header; write name=value, e.g. end-user=jason.");
    }
}
