namespace LocalMesh.Emulator.Configuration;

/// <summary>The checks of a Knative broker: its triggers' subscribers and the delivery of each.</summary>
internal static class BrokerValidator
{
    public static void Validate(BrokerConfig broker, Dictionary<string, MeshServiceConfig> services, ConfigReport report)
    {
        ValidateDelivery(broker.Delivery, "spec.delivery", services, report);
        foreach (var (trigger, index) in broker.Triggers.Select((trigger, index) => (trigger, index)))
        {
            var field = $"triggers[{trigger.Name}]";
            if (!services.ContainsKey(trigger.Subscriber))
            {
                report.Error($"{field}.subscriber", $"'{trigger.Subscriber}' is not a service or function of the mesh.", "subscribe a service or function added to the mesh.");
            }

            foreach (var name in trigger.Filter.Keys.Where(name => name.Length == 0 || !name.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9')))
            {
                report.Error($"{field}.filter.attributes[{name}]", "is not a CloudEvents attribute name.", "use lower-case letters and digits, e.g. type or source.");
            }

            if (trigger.Path is { } path && !path.StartsWith('/'))
            {
                report.Error($"{field}.subscriber.uri", $"'{path}' is not a path.", "start it with '/'.");
            }

            ValidateDelivery(trigger.Delivery, $"{field}.delivery", services, report);
        }

        foreach (var name in broker.Triggers.GroupBy(trigger => trigger.Name).Where(group => group.Count() > 1).Select(group => group.Key))
        {
            report.Error($"triggers[{name}]", "is declared more than once.", "give each trigger its own name.");
        }
    }

    private static void ValidateDelivery(DeliverySpec? delivery, string field, Dictionary<string, MeshServiceConfig> services, ConfigReport report)
    {
        if (delivery is null)
        {
            return;
        }

        if (delivery.Retry is < 0)
        {
            report.Error($"{field}.retry", $"is {delivery.Retry}.", "use 0 or more retries.");
        }

        if (delivery.BackoffDelay is { } delay && delay <= TimeSpan.Zero)
        {
            report.Error($"{field}.backoffDelay", $"is {MeshDuration.Format(delay)}.", "use a positive duration, e.g. PT0.2S.");
        }

        if (delivery.Timeout is { } timeout && timeout <= TimeSpan.Zero)
        {
            report.Error($"{field}.timeout", $"is {MeshDuration.Format(timeout)}.", "use a positive duration, or none.");
        }

        if (delivery.DeadLetterSink is { } sink && !services.ContainsKey(sink))
        {
            report.Error($"{field}.deadLetterSink", $"'{sink}' is not a service or function of the mesh.", "name a service or function added to the mesh.");
        }
    }
}
