using System.Globalization;
using Aspire.Hosting.ApplicationModel;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Explain;
using LocalMesh.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

/// <summary>
/// The dashboard commands of a mesh service: inject a delay, inject an abort, clear faults,
/// explain a request.
/// They act on the running mesh through <see cref="MeshControl"/>; nothing restarts.
/// </summary>
internal static class MeshCommands
{
    public const string InjectDelay = "inject-delay";
    public const string InjectAbort = "inject-abort";
    public const string ClearFaults = "clear-faults";
    public const string ExplainRequest = "explain-request";

    /// <summary>The commands for the mesh service the resource is, or has the name of (an injected resource).</summary>
    public static IResourceBuilder<T> WithFaultCommands<T>(this IResourceBuilder<T> service) where T : IResource
    {
        var name = service.Resource.Name;
        return service
            .WithCommand(InjectDelay, "Inject delay", context => Run(context, name, (fault, arguments) => fault with
            {
                Delay = new FaultDelay(Duration(arguments.GetString("delay")), Percentage(arguments)),
            }), new CommandOptions
            {
                Description = "Delay a percentage of the requests to this service (Istio fault.delay).",
                IconName = "Clock",
                Arguments =
                [
                    new InteractionInput { Name = "delay", Label = "Delay", InputType = InputType.Text, Required = true, Placeholder = "7s", Value = "7s" },
                    PercentageInput(),
                    HeaderInput(),
                ],
            })
            .WithCommand(InjectAbort, "Inject abort", context => Run(context, name, (fault, arguments) => fault with
            {
                Abort = new FaultAbort(Status(arguments.GetString("status")), Percentage(arguments)),
            }), new CommandOptions
            {
                Description = "Answer a percentage of the requests to this service with an error (Istio fault.abort).",
                IconName = "ErrorCircle",
                Arguments =
                [
                    new InteractionInput { Name = "status", Label = "HTTP status", InputType = InputType.Number, Required = true, Value = "500" },
                    PercentageInput(),
                    HeaderInput(),
                ],
            })
            .WithCommand(ClearFaults, "Clear faults", context =>
            {
                Control(context).ClearFaults(name);
                return Task.FromResult(CommandResults.Success($"Faults on {name} cleared."));
            }, new CommandOptions { Description = "Switch off the faults injected into this service.", IconName = "Dismiss" })
            .WithCommand(ExplainRequest, "Explain a request", context => Explain(context, name), new CommandOptions
            {
                Description = "Say what the mesh would do with a request to this service, without sending it (as istioctl x describe does): route, destinations, fault, timeout, retries, mTLS, authorization.",
                IconName = "QuestionCircle",
                Arguments =
                [
                    new InteractionInput { Name = "caller", Label = "Caller (a workload, e.g. productpage-v1; empty for outside the mesh)", InputType = InputType.Text },
                    new InteractionInput { Name = "method", Label = "Method", InputType = InputType.Text, Required = true, Value = "GET" },
                    new InteractionInput { Name = "path", Label = "Path", InputType = InputType.Text, Required = true, Value = "/" },
                    new InteractionInput { Name = "headers", Label = "Headers (name=value; name=value)", InputType = InputType.Text, Placeholder = "end-user=jason" },
                ],
            });
    }

    /// <summary>
    /// Explains the request in the service's console log and in a dialog, and answers with the
    /// outcome in one line.
    /// </summary>
    private static async Task<ExecuteCommandResult> Explain(ExecuteCommandContext context, string service)
    {
        try
        {
            var arguments = context.Arguments ?? new InteractionInputCollection([]);
            var control = Control(context);
            var request = new LocalMesh.Emulator.Explain.ExplainRequest(arguments.GetString("caller") is { Length: > 0 } caller ? caller.Trim() : null, service, arguments.GetString("path") ?? "/")
            {
                Method = arguments.GetString("method") ?? "GET",
                Headers = (arguments.GetString("headers") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(MeshExplainPipelineStep.ParseHeader).ToDictionary(StringComparer.OrdinalIgnoreCase),
            };
            var explanation = RequestExplainer.Explain(control.Config, request, control.SourceOf);
            var described = MeshExplainPipelineStep.Describe(request);
            context.Services.GetRequiredService<ResourceLoggerService>().GetLogger(context.ResourceName)
                .LogInformation("Explain {Request}{NewLine}{Explanation}", described, Environment.NewLine, explanation);
            var interactions = context.Services.GetRequiredService<IInteractionService>();
            if (interactions.IsAvailable)
            {
                // Not awaited: the dialog stays open while the command reports its outcome.
                _ = interactions.PromptMessageBoxAsync($"Explain: {described.TrimEnd(':')}", Markdown(explanation),
                    new MessageBoxInteractionOptions { EnableMessageMarkdown = true, Intent = MessageIntent.Information, PrimaryButtonText = "Close" });
            }

            return CommandResults.Success(explanation.Route is null
                ? $"{service}: no route matches (404). Details in its console log."
                : $"{service}: {explanation.Route} → {string.Join(", ", explanation.Destinations.Select(d => $"{d.Key} {d.Value:0.#}%"))}; {(explanation.Allowed == false ? "denied" : "allowed")}. Details in its console log.");
        }
        catch (ArgumentException ex)
        {
            return CommandResults.Failure(ex.Message);
        }
    }

    /// <summary>An explanation as a Markdown table, one row a step.</summary>
    private static string Markdown(RequestExplanation explanation) =>
        "| | |\n|---|---|\n" + string.Concat(explanation.Steps.Select(step => $"| **{step.Topic}** | {step.Text.Replace("|", "\\|", StringComparison.Ordinal)} |\n"));

    private static InteractionInput PercentageInput() =>
        new() { Name = "percentage", Label = "Percentage of requests", InputType = InputType.Number, Required = true, Value = "100" };

    private static InteractionInput HeaderInput() =>
        new() { Name = "header", Label = "Only requests with header (name=value)", InputType = InputType.Text, Placeholder = "end-user=jason" };

    private static Task<ExecuteCommandResult> Run(
        ExecuteCommandContext context, string service, Func<HttpFaultInjection, InteractionInputCollection, HttpFaultInjection> change)
    {
        try
        {
            var arguments = context.Arguments ?? new InteractionInputCollection([]);
            var headers = Headers(arguments.GetString("header"));
            var control = Control(context);
            // A delay and an abort for the same requests add up, as in one Istio fault block.
            var current = control.Faults.TryGetValue(service, out var existing) && SameHeaders(existing.Headers, headers)
                ? existing.Fault
                : new HttpFaultInjection();
            var fault = change(current, arguments);
            control.SetFault(service, fault, headers);
            return Task.FromResult(CommandResults.Success($"{service}: {control.Faults[service]}"));
        }
        catch (Exception ex) when (ex is FormatException or MeshConfigException or ArgumentException)
        {
            return Task.FromResult(CommandResults.Failure(ex.Message));
        }
    }

    private static MeshControl Control(ExecuteCommandContext context) =>
        context.Services.GetRequiredService<MeshRuntime>().Control
        ?? throw new ArgumentException("The mesh is not running.");

    private static TimeSpan Duration(string? text) => MeshDuration.TryParse(text, out var duration)
        ? duration
        : throw new FormatException($"'{text}' is not a duration; write it as Istio does, e.g. 7s or 500ms.");

    private static int Status(string? text) => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var status)
        ? status
        : throw new FormatException($"'{text}' is not an HTTP status.");

    private static double Percentage(InteractionInputCollection arguments) =>
        double.TryParse(arguments.GetString("percentage") ?? "100", NumberStyles.Float, CultureInfo.InvariantCulture, out var percentage)
            ? percentage
            : throw new FormatException($"'{arguments.GetString("percentage")}' is not a percentage.");

    private static Dictionary<string, string>? Headers(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var parts = text.Split('=', 2, StringSplitOptions.TrimEntries);
        return parts.Length == 2 && parts[0].Length > 0
            ? new Dictionary<string, string> { [parts[0].ToLowerInvariant()] = parts[1] }
            : throw new FormatException($"'{text}' is not a header match; write name=value, e.g. end-user=jason.");
    }

    private static bool SameHeaders(IReadOnlyDictionary<string, string>? left, IReadOnlyDictionary<string, string>? right) =>
        (left?.Count ?? 0) == (right?.Count ?? 0) && (left ?? new Dictionary<string, string>()).All(pair => right!.TryGetValue(pair.Key, out var value) && value == pair.Value);
}
