using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Publishing;

namespace Aspire.Hosting;

/// <summary>
/// How mesh resources appear in Aspire's manifest: custom types that carry what a deployment
/// tool needs (selector labels, workloads, identities, the gateway's port and route).
/// </summary>
internal static class MeshManifest
{
    public static void WriteMesh(ManifestPublishingContext context, MeshResource mesh)
    {
        context.Writer.WriteString("type", "localmesh.mesh.v0");
        context.Writer.WriteString("namespace", mesh.Namespace);
        context.Writer.WriteString("trustDomain", LocalMesh.Emulator.Configuration.MeshConfig.DefaultTrustDomain);
    }

    public static void WriteService(ManifestPublishingContext context, MeshServiceResource service)
    {
        var writer = context.Writer;
        writer.WriteString("type", "localmesh.service.v0");
        writer.WriteString("mesh", service.Parent.Name);
        writer.WriteStartObject("selector");
        writer.WriteString(MeshModelCompiler.AppLabel, service.Name);
        writer.WriteEndObject();
        writer.WriteStartObject("workloads");
        foreach (var workload in service.Workloads)
        {
            var annotation = workload.Annotations.OfType<MeshWorkloadAnnotation>().First(a => a.Service == service);
            writer.WriteStartObject(workload.Name);
            writer.WriteString("serviceAccount", annotation.ServiceAccount ?? workload.Name);
            writer.WriteNumber("replicas", workload.GetReplicaCount());
            writer.WriteStartObject("labels");
            foreach (var (key, value) in annotation.Labels.OrderBy(label => label.Key, StringComparer.Ordinal))
            {
                writer.WriteString(key, value);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        context.WriteBindings(service);
    }

    public static async Task WriteFunctionAsync(ManifestPublishingContext context, FunctionResource function)
    {
        var writer = context.Writer;
        writer.WriteString("type", "localmesh.function.v0");
        writer.WriteString("mesh", function.Parent.Name);
        writer.WriteString("project", context.GetManifestRelativePath(function.Project.ProjectPath));
        writer.WriteStartArray("revisions");
        foreach (var revision in function.Annotations.OfType<FunctionRevisionAnnotation>())
        {
            writer.WriteStringValue(revision.Name);
        }

        writer.WriteEndArray();
        if (function.Annotations.OfType<FunctionScalingAnnotation>().LastOrDefault()?.Scaling is { } scaling)
        {
            writer.WriteNumber("containerConcurrency", scaling.ContainerConcurrency);
            writer.WriteNumber("minScale", scaling.MinScale);
            writer.WriteNumber("maxScale", scaling.MaxScale);
        }

        writer.WriteStartArray("traffic");
        foreach (var target in function.Annotations.OfType<FunctionTrafficAnnotation>())
        {
            writer.WriteStartObject();
            writer.WriteString("revisionName", target.RevisionName);
            writer.WriteNumber("percent", target.Percent);
            if (target.Tag is not null)
            {
                writer.WriteString("tag", target.Tag);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        await context.WriteEnvironmentVariablesAsync(function);
        context.WriteBindings(function);
    }

    public static void WriteBroker(ManifestPublishingContext context, BrokerResource broker)
    {
        var writer = context.Writer;
        writer.WriteString("type", "localmesh.broker.v0");
        writer.WriteString("mesh", broker.Parent.Name);
        writer.WriteStartObject("triggers");
        foreach (var trigger in broker.Annotations.OfType<BrokerTriggerAnnotation>().Select(annotation => annotation.Trigger))
        {
            writer.WriteStartObject(trigger.Name);
            writer.WriteString("subscriber", trigger.Subscriber);
            writer.WriteStartObject("filter");
            foreach (var (name, value) in trigger.Filter.OrderBy(pair => pair.Key, StringComparer.Ordinal))
            {
                writer.WriteString(name, value);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        context.WriteBindings(broker);
    }

    public static void WriteGateway(ManifestPublishingContext context, IngressGatewayResource gateway)
    {
        context.Writer.WriteString("type", "localmesh.ingress.v0");
        context.Writer.WriteString("mesh", gateway.Parent.Name);
        if (gateway.Annotations.OfType<IngressRouteAnnotation>().LastOrDefault() is { } route)
        {
            context.Writer.WriteString("route", route.Service.Name);
        }

        context.WriteBindings(gateway);
    }
}
