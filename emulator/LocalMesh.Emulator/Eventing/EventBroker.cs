using System.Collections.Concurrent;
using System.Text;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.State;
using LocalMesh.Emulator.Telemetry;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Emulator.Eventing;

/// <summary>What became of one event at one trigger.</summary>
internal enum DeliveryResult
{
    /// <summary>The subscriber accepted it (2xx).</summary>
    Delivered,

    /// <summary>Delivery failed and the dead-letter sink accepted it.</summary>
    DeadLettered,

    /// <summary>Delivery failed and there was no sink, or the sink failed too: the event is lost.</summary>
    Dropped,
}

/// <summary>One event's outcome at one trigger, as the dashboard and tests see it.</summary>
/// <param name="Broker">The broker.</param>
/// <param name="Trigger">The trigger.</param>
/// <param name="EventId">The event's id.</param>
/// <param name="EventType">The event's type.</param>
/// <param name="Result">What became of it.</param>
/// <param name="Attempts">Attempts made at the subscriber.</param>
/// <param name="LastStatus">The subscriber's last HTTP status, <c>null</c> when it could not be reached.</param>
internal sealed record DeliveryRecord(string Broker, string Trigger, string EventId, string EventType, DeliveryResult Result, int Attempts, int? LastStatus);

/// <summary>
/// Knative Eventing's broker: accepted events fan out to every trigger whose filter matches, and
/// each delivery goes through the broker's own outbound sidecar to the subscriber (so routes,
/// mTLS and authorization apply), retried on 404, 409, 429, 5xx and network errors with the
/// trigger's back-off, then sent to the dead-letter sink with Knative's error extensions.
/// </summary>
internal sealed class EventBroker : IAsyncDisposable
{
    /// <summary>How many recent delivery records are kept.</summary>
    public const int HistoryLimit = 200;

    private readonly MeshState _state;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly MeshMetrics _metrics;
    private readonly HttpClient _client = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = Timeout.InfiniteTimeSpan };
    private readonly ConcurrentQueue<DeliveryRecord> _history = new();
    private readonly ConcurrentDictionary<Task, byte> _inFlight = new();
    private readonly CancellationTokenSource _stopping = new();

    internal EventBroker(MeshState state, TimeProvider time, ILoggerFactory loggerFactory, MeshMetrics metrics)
    {
        _state = state;
        _time = time;
        _loggerFactory = loggerFactory;
        _metrics = metrics;
    }

    /// <summary>Raised after each delivery finishes.</summary>
    public event Action<DeliveryRecord>? Delivered;

    /// <summary>The latest delivery outcomes, oldest first.</summary>
    public IReadOnlyList<DeliveryRecord> History => [.. _history];

    /// <summary>The outbound listener a broker delivers to <paramref name="service"/> through.</summary>
    public static ListenerConfig OutboundListener(string broker, string service) => ListenerConfig.Outbound(broker, service);

    /// <summary>Fans <paramref name="cloudEvent"/> out to the matching triggers of <paramref name="broker"/>; returns how many matched.</summary>
    internal int Publish(BrokerConfig broker, CloudEvent cloudEvent)
    {
        _metrics.EventsReceived.Add(1,
            new KeyValuePair<string, object?>("broker", broker.Name),
            new KeyValuePair<string, object?>("event_type", cloudEvent.Type));
        var matched = 0;
        foreach (var trigger in broker.Triggers.Where(trigger => Matches(trigger, cloudEvent)))
        {
            matched++;
            var delivery = trigger.Delivery ?? broker.Delivery ?? DeliverySpec.BrokerDefault;
            var task = Task.Run(() => DeliverAsync(broker, trigger, delivery, cloudEvent, _stopping.Token));
            _inFlight[task] = 0;
            _ = task.ContinueWith(done => _inFlight.TryRemove(done, out _), TaskScheduler.Default);
        }

        return matched;
    }

    /// <summary>Knative's filter: every attribute in the filter equals the event's, exactly.</summary>
    public static bool Matches(TriggerConfig trigger, CloudEvent cloudEvent) =>
        trigger.Filter.All(filter => cloudEvent.Attributes.TryGetValue(filter.Key, out var value) && value == filter.Value);

    /// <summary>Whether Knative's data plane contract retries a response: 404, 409, 429 and 5xx (and no response at all).</summary>
    public static bool IsRetriable(int? status) => status is null or 404 or 409 or 429 or >= 500;

    private async Task DeliverAsync(BrokerConfig broker, TriggerConfig trigger, DeliverySpec delivery, CloudEvent cloudEvent, CancellationToken cancellationToken)
    {
        var target = Target(broker.Name, trigger.Subscriber, trigger.Path);
        var attempts = 0;
        Attempt outcome;
        while (true)
        {
            attempts++;
            outcome = await SendAsync(cloudEvent, target, delivery.Timeout, cancellationToken);
            if (outcome.Succeeded || !IsRetriable(outcome.Status) || attempts > (delivery.Retry ?? 0) || cancellationToken.IsCancellationRequested)
            {
                break;
            }

            try
            {
                await Task.Delay(delivery.Backoff(attempts), _time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        var logger = _loggerFactory.CreateLogger(MeshLogCategories.Broker(broker.Name));
        var result = DeliveryResult.Delivered;
        if (outcome.Succeeded)
        {
            logger.LogInformation("{Broker}/{Trigger}: event {Id} ({Type}) delivered to {Subscriber} after {Attempts} attempt(s).",
                broker.Name, trigger.Name, cloudEvent.Id, cloudEvent.Type, trigger.Subscriber, attempts);
        }
        else
        {
            logger.LogWarning("{Broker}/{Trigger}: event {Id} ({Type}) failed after {Attempts} attempt(s): {Reason}.",
                broker.Name, trigger.Name, cloudEvent.Id, cloudEvent.Type, attempts, outcome.Reason);
            result = DeliveryResult.Dropped;
            if (delivery.DeadLetterSink is { } sink && !cancellationToken.IsCancellationRequested)
            {
                // Knative's error extensions say where delivery failed and how.
                var dead = cloudEvent
                    .With("knativeerrordest", $"http://{trigger.Subscriber}.{_state.Snapshot.Config.Namespace}.svc.cluster.local{trigger.Path ?? "/"}")
                    .With("knativeerrorcode", outcome.Status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "0");
                if (outcome.Body is { Length: > 0 } body)
                {
                    dead = dead.With("knativeerrordata", Convert.ToBase64String(body));
                }

                var sent = await SendAsync(dead, Target(broker.Name, sink, null), delivery.Timeout, cancellationToken);
                result = sent.Succeeded ? DeliveryResult.DeadLettered : DeliveryResult.Dropped;
                if (sent.Succeeded)
                {
                    logger.LogInformation("{Broker}/{Trigger}: event {Id} went to the dead-letter sink {Sink}.", broker.Name, trigger.Name, cloudEvent.Id, sink);
                }
                else
                {
                    logger.LogError("{Broker}/{Trigger}: the dead-letter sink {Sink} refused event {Id} too ({Reason}); it is lost.", broker.Name, trigger.Name, sink, cloudEvent.Id, sent.Reason);
                }
            }
            else if (delivery.DeadLetterSink is null)
            {
                logger.LogError("{Broker}/{Trigger}: no dead-letter sink, event {Id} is lost.", broker.Name, trigger.Name, cloudEvent.Id);
            }
        }

        var record = new DeliveryRecord(broker.Name, trigger.Name, cloudEvent.Id, cloudEvent.Type, result, attempts, outcome.Status);
        _history.Enqueue(record);
        while (_history.Count > HistoryLimit && _history.TryDequeue(out _))
        {
        }

        _metrics.EventDeliveries.Add(1,
            new KeyValuePair<string, object?>("broker", broker.Name),
            new KeyValuePair<string, object?>("trigger", trigger.Name),
            new KeyValuePair<string, object?>("result", result.ToString()));
        Delivered?.Invoke(record);
    }

    private Uri? Target(string broker, string service, string? path)
    {
        var listener = OutboundListener(broker, service).Name;
        return _state.Snapshot.PortsByListener.TryGetValue(listener, out var port)
            ? new Uri($"http://127.0.0.1:{port}{path ?? "/"}")
            : null;
    }

    private async Task<Attempt> SendAsync(CloudEvent cloudEvent, Uri? target, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        if (target is null)
        {
            return new Attempt(false, null, null, "the broker has no sidecar for the subscriber");
        }

        using var attemptTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } limit)
        {
            attemptTimeout.CancelAfter(limit);
        }

        try
        {
            using var request = cloudEvent.ToRequest(target);
            request.Headers.TryAddWithoutValidation("Prefer", "reply");
            using var response = await _client.SendAsync(request, attemptTimeout.Token);
            var status = (int)response.StatusCode;
            if (status is >= 200 and < 300)
            {
                return new Attempt(true, status, null, "");
            }

            var body = await response.Content.ReadAsByteArrayAsync(attemptTimeout.Token);
            return new Attempt(false, status, body.Length > 1024 ? body[..1024] : body, $"HTTP {status} {Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 200)))}".TrimEnd());
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new Attempt(false, null, null, ex is OperationCanceledException ? "the attempt timed out" : ex.Message);
        }
    }

    /// <summary>Stops retrying and waits for deliveries in flight.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        try
        {
            await Task.WhenAll(_inFlight.Keys).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
        }

        _client.Dispose();
        _stopping.Dispose();
    }

    private readonly record struct Attempt(bool Succeeded, int? Status, byte[]? Body, string Reason);
}
