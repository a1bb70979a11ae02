using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Threading.Channels;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Serverless;

namespace LocalMesh.Emulator.Tests;

/// <summary>A launcher whose instances start only when the test says so, and which records stops.</summary>
internal sealed class ControlledLauncher : IFunctionLauncher
{
    public Channel<PendingStart> Starts { get; } = Channel.CreateUnbounded<PendingStart>();

    public ConcurrentQueue<string> Stopped { get; } = new();

    public Task<IFunctionInstance> StartAsync(FunctionInstanceRequest request, CancellationToken cancellationToken)
    {
        var pending = new PendingStart(request, this);
        cancellationToken.Register(() => pending.TrySetCanceled(cancellationToken));
        Starts.Writer.TryWrite(pending);
        return pending.Task;
    }

    /// <summary>The next instance the scaler launched, waiting at most five seconds.</summary>
    public async Task<PendingStart> NextStartAsync() =>
        await Starts.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));

    internal sealed class PendingStart(FunctionInstanceRequest request, ControlledLauncher launcher)
        : TaskCompletionSource<IFunctionInstance>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public FunctionInstanceRequest Request { get; } = request;

        public FakeInstance Ready()
        {
            var instance = new FakeInstance(Request.Name, new Uri($"http://127.0.0.1:{10000 + Request.Number}"), launcher);
            TrySetResult(instance);
            return instance;
        }

        public void Fail(string reason) => TrySetException(new FunctionStartException(reason));
    }

    internal sealed class FakeInstance(string name, Uri address, ControlledLauncher launcher) : IFunctionInstance
    {
        private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name => name;

        public Uri Address { get; } = address;

        public Task Exited => _exited.Task;

        public void Crash() => _exited.TrySetResult();

        public ValueTask DisposeAsync()
        {
            launcher.Stopped.Enqueue(name);
            _exited.TrySetResult();
            return ValueTask.CompletedTask;
        }
    }
}

internal static class Functions
{
    public static WorkloadConfig Revision(FunctionScaling scaling, string name = "fn-00001") =>
        new(name, "fn", ImmutableDictionary<string, string>.Empty.Add("app", "fn").Add("serving.knative.dev/revision", name), "fn", 1) { Scaling = scaling };
}
