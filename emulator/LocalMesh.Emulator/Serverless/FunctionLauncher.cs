using LocalMesh.Emulator.Configuration;

namespace LocalMesh.Emulator.Serverless;

/// <summary>Which instance of which revision to start.</summary>
/// <param name="Revision">The revision (a function workload).</param>
/// <param name="Number">The instance number within the revision, from 1.</param>
internal sealed record FunctionInstanceRequest(WorkloadConfig Revision, int Number)
{
    /// <summary>A readable name, e.g. <c>sentiment-00001-2</c>, like a pod's.</summary>
    public string Name => $"{Revision.Name}-{Number}";
}

/// <summary>A running instance of a function revision.</summary>
internal interface IFunctionInstance : IAsyncDisposable
{
    /// <summary>Its name, as logs and the dashboard show it: usually the request's <see cref="FunctionInstanceRequest.Name"/>.</summary>
    string Name { get; }

    /// <summary>Where the instance takes requests (loopback).</summary>
    Uri Address { get; }

    /// <summary>Completes when the instance stops, for whatever reason.</summary>
    Task Exited { get; }
}

/// <summary>Starts function instances: real processes in the AppHost, in-process servers in tests.</summary>
internal interface IFunctionLauncher
{
    /// <summary>Starts an instance and completes once it is ready to take requests.</summary>
    /// <exception cref="FunctionStartException">The instance could not start.</exception>
    Task<IFunctionInstance> StartAsync(FunctionInstanceRequest request, CancellationToken cancellationToken);
}

/// <summary>An instance failed to start; the message says why, for the caller's 503 and the log.</summary>
internal sealed class FunctionStartException(string message, Exception? inner = null) : Exception(message, inner);
