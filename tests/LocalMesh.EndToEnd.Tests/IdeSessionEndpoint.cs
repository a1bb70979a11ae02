using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LocalMesh.EndToEnd.Tests;

/// <summary>
/// Plays an IDE for the orchestrator, as Aspire's IDE execution protocol describes it
/// (dotnet/aspire <c>docs/specs/IDE-execution.md</c>): DCP asks it over HTTP to run each project
/// (<c>PUT /run_session</c>) and to stop one (<c>DELETE /run_session/{id}</c>); it runs the project's
/// build output with the environment and arguments of the request, as an IDE's "run without
/// debugging" does, and streams each session's pid, output and end back over a WebSocket
/// (<c>GET /run_session/notify</c>). An AppHost is pointed at it with <see cref="Environment"/>.
/// Unlike an IDE it does not apply the project's launch profile (the request's environment is all
/// the sample needs) and attaches no debugger.
/// </summary>
public sealed class IdeSessionEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _token = Guid.NewGuid().ToString("N");
    private readonly ConcurrentDictionary<string, RunSession> _sessions = new();
    private readonly ConcurrentQueue<RunSession> _requested = new();
    private readonly SemaphoreSlim _send = new(1, 1);
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile WebSocket? _socket;
    private int _nextId;

    private IdeSessionEndpoint(WebApplication app) => _app = app;

    /// <summary>Every run session the orchestrator asked for, in order.</summary>
    public IReadOnlyList<RunSession> Requested => [.. _requested];

    /// <summary>Requests the endpoint refused, with why (a wrong token, an unknown launch configuration).</summary>
    public ConcurrentQueue<string> Refused { get; } = new();

    /// <summary>The names of <see cref="Environment"/>'s variables.</summary>
    private static readonly string[] VariableNames = ["DEBUG_SESSION_PORT", "DEBUG_SESSION_TOKEN", "DEBUG_SESSION_RUN_MODE", "DEBUG_SESSION_INFO"];

    /// <summary>The variables an IDE sets on the AppHost it starts, pointing DCP here.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["DEBUG_SESSION_PORT"] = $"localhost:{new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()).Port}",
        ["DEBUG_SESSION_TOKEN"] = _token,
        // F5 rather than Ctrl+F5: every project under the debugger.
        ["DEBUG_SESSION_RUN_MODE"] = "Debug",
        ["DEBUG_SESSION_INFO"] = """{"protocols_supported":["2024-03-03","2024-04-23"],"supported_launch_configurations":["project"]}""",
    };

    /// <summary>The AppHost's argument that keeps functions on the mesh's own fast start under an IDE, as from a terminal.</summary>
    public static readonly string[] FunctionsAsFromATerminal = ["--LocalMesh:FunctionInstances=process"];

    /// <summary>
    /// Runs <paramref name="start"/> (an AppHost's start) with <see cref="Environment"/> in this
    /// process's environment, where the AppHost reads it and DCP, its child, inherits it; the
    /// variables are put back after. A process another lane starts meanwhile would inherit them and
    /// take this endpoint for its IDE: every process the suite starts goes through <see cref="WithoutIde"/>.
    /// </summary>
    public async Task<T> AsTheIdeAsync<T>(Func<Task<T>> start)
    {
        var saved = Environment.Keys.ToDictionary(name => name, System.Environment.GetEnvironmentVariable);
        foreach (var (name, value) in Environment)
        {
            System.Environment.SetEnvironmentVariable(name, value);
        }

        try
        {
            return await start();
        }
        finally
        {
            foreach (var (name, value) in saved)
            {
                System.Environment.SetEnvironmentVariable(name, value);
            }
        }
    }

    /// <summary>
    /// <paramref name="start"/> without the IDE's variables, which an app starting in this process
    /// (another lane's) may have set in this process's environment as the process is started.
    /// </summary>
    public static ProcessStartInfo WithoutIde(ProcessStartInfo start)
    {
        foreach (var name in VariableNames)
        {
            start.Environment.Remove(name);
        }

        return start;
    }

    public static async Task<IdeSessionEndpoint> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var endpoint = new IdeSessionEndpoint(app);
        app.UseWebSockets();
        app.Use(async (context, next) =>
        {
            if (context.Request.Headers.Authorization != $"Bearer {endpoint._token}")
            {
                endpoint.Refused.Enqueue($"{context.Request.Method} {context.Request.Path}: no or a wrong bearer token");
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }

            await next(context);
        });
        app.MapGet("/info", () => Results.Json(new JsonObject { ["protocols_supported"] = new JsonArray("2024-03-03", "2024-04-23") }));
        app.MapGet("/run_session/notify", (Func<HttpContext, Task>)endpoint.NotifyAsync);
        app.MapPut("/run_session", (Func<HttpContext, Task<IResult>>)endpoint.CreateAsync);
        app.MapDelete("/run_session/{id}", endpoint.Stop);
        await app.StartAsync();
        return endpoint;
    }

    /// <summary>The sessions asked for <paramref name="project"/> (a project file's name without extension), in order.</summary>
    public IEnumerable<RunSession> SessionsOf(string project) =>
        Requested.Where(session => Path.GetFileNameWithoutExtension(session.ProjectPath) == project);

    private async Task NotifyAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        // DCP opens it before its first request, and again if it recycles the connection.
        _socket = socket;
        _connected.TrySetResult();
        var buffer = new byte[1024];
        try
        {
            // DCP sends nothing but a close; the socket lives until then.
            while (socket.State == WebSocketState.Open && !(await socket.ReceiveAsync(buffer, _app.Lifetime.ApplicationStopping)).CloseStatus.HasValue)
            {
            }
        }
        catch (Exception error) when (error is OperationCanceledException or WebSocketException)
        {
            // DCP or this endpoint has gone.
        }
    }

    private async Task<IResult> CreateAsync(HttpContext context)
    {
        var body = await JsonNode.ParseAsync(context.Request.Body);
        var launch = body?["launch_configurations"]?.AsArray().FirstOrDefault();
        if (launch?["type"]?.GetValue<string>() != "project" || launch["project_path"]?.GetValue<string>() is not { } projectPath)
        {
            Refused.Enqueue($"PUT /run_session: {body?.ToJsonString()}");
            return Results.Json(new JsonObject { ["error"] = new JsonObject { ["code"] = "UnsupportedLaunchConfiguration", ["message"] = "only project launch configurations" } }, statusCode: 400);
        }

        var session = new RunSession(
            Interlocked.Increment(ref _nextId).ToString(System.Globalization.CultureInfo.InvariantCulture),
            projectPath,
            launch["mode"]?.GetValue<string>() ?? "Debug",
            (body!["env"]?.AsArray() ?? []).ToDictionary(variable => variable!["name"]!.GetValue<string>(), variable => variable!["value"]?.GetValue<string>() ?? ""),
            body["args"]?.AsArray().Select(arg => arg!.GetValue<string>()).ToList());
        _sessions[session.Id] = session;
        _requested.Enqueue(session);
        // As an IDE: answer with the session's address, then start the program and report it.
        context.Response.OnCompleted(() =>
        {
            _ = Task.Run(() => RunAsync(session));
            return Task.CompletedTask;
        });
        return Results.Created($"http://localhost:{context.Connection.LocalPort}/run_session/{session.Id}", null);
    }

    private IResult Stop(string id)
    {
        if (!_sessions.TryGetValue(id, out var session))
        {
            return Results.NoContent();
        }

        // As an IDE ends a debug session: the answer at once, the session's end reported when the program has gone.
        session.StopRequested = true;
        if (session.Process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
        }

        return Results.Ok();
    }

    /// <summary>Runs the project's build output (the IDE built it), with its launch profile's environment under the request's.</summary>
    private async Task RunAsync(RunSession session)
    {
        var folder = Path.GetDirectoryName(session.ProjectPath)!;
        var name = Path.GetFileNameWithoutExtension(session.ProjectPath);
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var start = WithoutIde(new ProcessStartInfo(Path.Combine(folder, "bin", configuration, "net10.0", name))
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        });
        foreach (var arg in session.Args ?? [])
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (variable, value) in session.Environment)
        {
            start.Environment[variable] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, line) => _ = LogAsync(line.Data, isError: false);
        process.ErrorDataReceived += (_, line) => _ = LogAsync(line.Data, isError: true);
        try
        {
            process.Start();
        }
        catch (Exception error)
        {
            await NotifyAsync(new JsonObject { ["notification_type"] = "serviceLogs", ["session_id"] = session.Id, ["is_std_err"] = true, ["log_message"] = error.Message });
            await NotifyAsync(new JsonObject { ["notification_type"] = "sessionTerminated", ["session_id"] = session.Id, ["exit_code"] = 1 });
            return;
        }

        session.Process = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await NotifyAsync(new JsonObject { ["notification_type"] = "processRestarted", ["session_id"] = session.Id, ["pid"] = process.Id });
        await process.WaitForExitAsync();
        session.Exited.TrySetResult(process.ExitCode);
        await NotifyAsync(new JsonObject { ["notification_type"] = "sessionTerminated", ["session_id"] = session.Id, ["exit_code"] = process.ExitCode });

        Task LogAsync(string? line, bool isError)
        {
            if (line is null)
            {
                return Task.CompletedTask;
            }

            session.Remember(line);
            return NotifyAsync(new JsonObject { ["notification_type"] = "serviceLogs", ["session_id"] = session.Id, ["is_std_err"] = isError, ["log_message"] = line + "\n" });
        }
    }

    private async Task NotifyAsync(JsonObject notification)
    {
        await _connected.Task;
        await _send.WaitAsync();
        try
        {
            if (_socket is { State: WebSocketState.Open } socket)
            {
                await socket.SendAsync(Encoding.UTF8.GetBytes(notification.ToJsonString()), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            }
        }
        catch (WebSocketException)
        {
            // DCP has gone.
        }
        finally
        {
            _send.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var session in _sessions.Values)
        {
            if (session.Process is { HasExited: false } process)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>One run session: what the orchestrator asked for and the process the IDE runs for it.</summary>
    public sealed class RunSession(string id, string projectPath, string mode, IReadOnlyDictionary<string, string> environment, IReadOnlyList<string>? args)
    {
        private readonly ConcurrentQueue<string> _output = new();

        public string Id { get; } = id;

        public string ProjectPath { get; } = projectPath;

        /// <summary><c>Debug</c> (under the debugger) or <c>NoDebug</c>.</summary>
        public string Mode { get; } = mode;

        public IReadOnlyDictionary<string, string> Environment { get; } = environment;

        public IReadOnlyList<string>? Args { get; } = args;

        public Process? Process { get; set; }

        /// <summary>Whether the orchestrator asked to stop it.</summary>
        public bool StopRequested { get; set; }

        public TaskCompletionSource<int> Exited { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The program's last lines of output, for a failure's message.</summary>
        public IEnumerable<string> Output => _output;

        internal void Remember(string line)
        {
            _output.Enqueue(line);
            while (_output.Count > 20 && _output.TryDequeue(out _))
            {
            }
        }

        /// <summary>What it ran, how it ended and its last output: for a failure's message.</summary>
        public override string ToString() =>
            $"session {Id} ({Environment.GetValueOrDefault("OTEL_SERVICE_NAME")} at {Environment.GetValueOrDefault("ASPNETCORE_URLS")}): "
            + (Exited.Task.IsCompleted ? $"exited {Exited.Task.Result}{(StopRequested ? " when asked to stop" : " by itself")}" : "running")
            + string.Concat(Output.Select(line => $"\n    {line}"));
    }
}
