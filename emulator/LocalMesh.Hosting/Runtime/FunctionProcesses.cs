using System.Collections.Concurrent;
using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Serverless;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Hosting;

/// <summary>
/// How the AppHost starts a function instance: the project's build output run directly (not
/// <c>dotnet run</c>, which would cost seconds of every cold start), with the environment the
/// model gives the function plus the revision's own, its output in the function's console log.
/// </summary>
internal sealed class FunctionProcesses(
    IReadOnlyList<FunctionResource> functions,
    ResourceLoggerService resourceLogs,
    DistributedApplicationExecutionContext executionContext)
{
    private readonly ConcurrentDictionary<string, Task<IReadOnlyList<KeyValuePair<string, string>>>> _environments = new(StringComparer.Ordinal);

    public IFunctionLauncher Launcher => new ProcessFunctionLauncher(StartInfoAsync, Output);

    /// <summary>Each revision's egress listener (its instances' HTTP proxy for hosts outside the mesh), by revision name, once the mesh has bound them.</summary>
    public IReadOnlyDictionary<string, Uri> EgressProxies { get; set; } = new Dictionary<string, Uri>();

    /// <summary>Every function whose project has no build output, with the command that fixes it.</summary>
    public IEnumerable<ConfigError> MissingBuilds() =>
        from function in functions
        where Executable(function.Project.ProjectPath) is null
        select new ConfigError(function.Name, "project", $"has no build output for {Path.GetFileName(function.Project.ProjectPath)}.",
            $"build it: dotnet build \"{function.Project.ProjectPath}\" (building the AppHost builds it too).");

    /// <summary>The function a revision belongs to.</summary>
    public FunctionResource Of(string name) => functions.Single(f => f.Name == name);

    /// <summary>
    /// What an instance of <paramref name="revision"/> runs with: the function's environment as
    /// Aspire computes a project's (references, OTLP exporter, WithEnvironment), with the revision's own over it.
    /// </summary>
    public async Task<Dictionary<string, string>> EnvironmentAsync(WorkloadConfig revision)
    {
        var function = Of(revision.Service!);
        var environment = new Dictionary<string, string>(await _environments.GetOrAdd(function.Name, _ => ComputeAsync(function)), StringComparer.Ordinal);
        foreach (var (name, value) in function.Annotations.OfType<FunctionRevisionAnnotation>().Single(r => r.Name == revision.Name).Environment)
        {
            environment[name] = value;
        }

        if (EgressProxies.TryGetValue(revision.Name, out var proxy))
        {
            foreach (var (name, value) in SidecarWiring.EgressProxyEnvironment(proxy))
            {
                environment[name] = value;
            }
        }

        return environment;
    }

    private async ValueTask<ProcessStartInfo> StartInfoAsync(FunctionInstanceRequest request, CancellationToken cancellationToken)
    {
        var function = Of(request.Revision.Service!);
        var executable = Executable(function.Project.ProjectPath)
            ?? throw new FunctionStartException($"no build output for {function.Project.ProjectPath}; run dotnet build on it.");
        var environment = await EnvironmentAsync(request.Revision);
        var info = File.Exists(executable[..^".dll".Length])
            ? new ProcessStartInfo(executable[..^".dll".Length])
            : new ProcessStartInfo("dotnet", ["exec", executable]);
        info.WorkingDirectory = Path.GetDirectoryName(function.Project.ProjectPath);
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        info.Environment["OTEL_SERVICE_NAME"] = function.Name;
        info.Environment["OTEL_RESOURCE_ATTRIBUTES"] = $"service.instance.id={request.Name}";
        return info;
    }

    /// <summary>The function's environment as Aspire computes a project's, once.</summary>
    private async Task<IReadOnlyList<KeyValuePair<string, string>>> ComputeAsync(FunctionResource function)
    {
        // Aspire's notes while it resolves the environment (e.g. waiting for the dashboard's OTLP endpoint) belong to the function's log, as a project's do.
        var result = await ExecutionConfigurationBuilder.Create(function).WithEnvironmentVariablesConfig().BuildAsync(executionContext, resourceLogs.GetLogger(function), CancellationToken.None);
        if (result.Exception is { } error)
        {
            throw new FunctionStartException($"its environment could not be computed: {error.Message}", error);
        }

        return [.. result.EnvironmentVariables];
    }

    private void Output(FunctionInstanceRequest instance, string line, bool error)
    {
        var function = Of(instance.Revision.Service!);
        resourceLogs.GetLogger(function).Log(error ? LogLevel.Error : LogLevel.Information, "{Instance} | {Line}", instance.Name, line);
    }

    /// <summary>
    /// The project's build output for the AppHost's own configuration (Debug or Release): the
    /// newest <c>&lt;name&gt;.dll</c> under its <c>bin</c> with a runtimeconfig beside it.
    /// </summary>
    internal static string? Executable(string projectPath)
    {
        var bin = Path.Combine(Path.GetDirectoryName(projectPath)!, "bin");
        if (!Directory.Exists(bin))
        {
            return null;
        }

        var configuration = AppContext.BaseDirectory.Split(Path.DirectorySeparatorChar).SkipWhile(part => part != "bin").Skip(1).FirstOrDefault();
        var name = Path.GetFileNameWithoutExtension(projectPath);
        return Directory.EnumerateFiles(bin, name + ".dll", SearchOption.AllDirectories)
            .Where(dll => File.Exists(Path.ChangeExtension(dll, ".runtimeconfig.json")))
            .OrderByDescending(dll => configuration is not null && dll.Contains($"{Path.DirectorySeparatorChar}{configuration}{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ThenByDescending(File.GetLastWriteTimeUtc)
            .FirstOrDefault();
    }
}
