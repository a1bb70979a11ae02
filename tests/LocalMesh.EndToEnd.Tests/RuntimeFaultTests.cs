using System.Diagnostics;
using LocalMesh.Emulator.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LocalMesh.EndToEnd.Tests;

/// <summary>Faults switched on and off while the sample runs: from the dashboard's commands and from test code.</summary>
[Collection(SampleAppCollection.Name)]
public sealed class RuntimeFaultTests(SampleAppFixture fixture)
{
    [Fact]
    public async Task AnAbortFromTheDashboardCommandTakesEffectOnTheNextRequestAndClearsTheSameWay()
    {
        using var _ = fixture.UseScenario("reviews-v2-for-jason");
        var commands = fixture.App.Services.GetRequiredService<ResourceCommandService>();
        var notifications = fixture.App.Services.GetRequiredService<ResourceNotificationService>();
        try
        {
            var result = await commands.ExecuteCommandAsync("ratings", "inject-abort", new InteractionInputCollection(
            [
                new InteractionInput { Name = "status", InputType = InputType.Number, Value = "500" },
                new InteractionInput { Name = "percentage", InputType = InputType.Number, Value = "100" },
                new InteractionInput { Name = "header", InputType = InputType.Text, Value = "end-user=jason" },
            ]));
            Assert.True(result.Success, result.Message);

            var requestId = Guid.NewGuid().ToString();
            Assert.Contains("Ratings service is currently unavailable", await fixture.LoadPageAsync("jason", requestId));
            var ratings = await fixture.WaitForSpansAsync(requestId, span => Tag(span, "reporter") == "source" && Tag(span, "destination_service_name") == "ratings", 1);
            Assert.Equal("FI", Tag(Assert.Single(ratings), "response_flags"));
            Assert.Contains("abort 500 at 100% when end-user=jason", await FaultsPropertyAsync(notifications, "abort"));

            Assert.True((await commands.ExecuteCommandAsync("ratings", "clear-faults", new InteractionInputCollection([]))).Success);
            Assert.Contains("data-color=\"black\"", await fixture.LoadPageAsync("jason"));
            Assert.Equal("none", await FaultsPropertyAsync(notifications, "none"));
        }
        finally
        {
            fixture.App.GetMesh().ClearFaults();
        }
    }

    [Fact]
    public async Task TheExplainCommandSaysWhichRouteARequestWouldTakeWithoutSendingIt()
    {
        using var _ = fixture.UseScenario("reviews-v2-for-jason");
        var commands = fixture.App.Services.GetRequiredService<ResourceCommandService>();
        InteractionInputCollection Request(string headers) => new(
        [
            new InteractionInput { Name = "caller", InputType = InputType.Text, Value = "productpage-v1" },
            new InteractionInput { Name = "method", InputType = InputType.Text, Value = "GET" },
            new InteractionInput { Name = "path", InputType = InputType.Text, Value = "/reviews/0" },
            new InteractionInput { Name = "headers", InputType = InputType.Text, Value = headers },
        ]);

        var jason = await commands.ExecuteCommandAsync("reviews", "explain-request", Request("end-user=jason"));
        Assert.True(jason.Success, jason.Message);
        Assert.Contains("→ reviews/v2 100%; allowed", jason.Message);

        var anyone = await commands.ExecuteCommandAsync("reviews", "explain-request", Request(""));
        Assert.Contains("→ reviews/v1 100%", anyone.Message);

        var unknown = await commands.ExecuteCommandAsync("reviews", "explain-request", Request("end-user"));
        Assert.False(unknown.Success);
        Assert.Contains("'end-user' is not a header", unknown.Message);
    }

    [Fact]
    public async Task ABadCommandInputIsRefusedWithAClearMessageAndChangesNothing()
    {
        var commands = fixture.App.Services.GetRequiredService<ResourceCommandService>();
        var before = fixture.App.GetMesh().Config;

        var result = await commands.ExecuteCommandAsync("ratings", "inject-delay", new InteractionInputCollection(
        [
            new InteractionInput { Name = "delay", InputType = InputType.Text, Value = "seven" },
            new InteractionInput { Name = "percentage", InputType = InputType.Number, Value = "100" },
        ]));

        Assert.False(result.Success);
        Assert.Contains("'seven' is not a duration", result.Message);
        Assert.Same(before, fixture.App.GetMesh().Config);
    }

    [Fact]
    public async Task TestCodeCanDelayAServiceForOneUserAndClearIt()
    {
        using var _ = fixture.UseScenario("reviews-v2-for-jason");
        var mesh = fixture.App.GetMesh();
        try
        {
            mesh.SetFault("reviews", new HttpFaultInjection { Delay = new FaultDelay(TimeSpan.FromSeconds(4), 100) },
                new Dictionary<string, string> { ["end-user"] = "jason" });

            var stopwatch = Stopwatch.StartNew();
            var jason = await fixture.LoadPageAsync("jason");
            stopwatch.Stop();

            // productpage's 3 s timeout fires before the 4 s delay; its retry meets the delay again.
            Assert.Contains("Sorry, product reviews are currently unavailable", jason);
            Assert.True(stopwatch.Elapsed >= TimeSpan.FromSeconds(6), $"The page came back after {stopwatch.Elapsed}.");
            Assert.DoesNotContain("unavailable", await fixture.LoadPageAsync("kim"));
        }
        finally
        {
            mesh.ClearFaults();
        }

        Assert.Contains("data-color=\"black\"", await fixture.LoadPageAsync("jason"));
    }

    private static async Task<string> FaultsPropertyAsync(ResourceNotificationService notifications, string expected)
    {
        using var cap = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var update = await notifications.WaitForResourceAsync("ratings",
            e => e.Snapshot.Properties.Any(p => p.Name == "mesh.faults" && p.Value?.ToString()?.Contains(expected, StringComparison.Ordinal) == true),
            cap.Token);
        return update.Snapshot.Properties.Single(p => p.Name == "mesh.faults").Value!.ToString()!;
    }

    private static string? Tag(Activity span, string name) => span.GetTagItem(name)?.ToString();
}
