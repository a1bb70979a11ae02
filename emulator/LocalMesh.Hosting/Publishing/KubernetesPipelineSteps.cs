using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Pipelines;
using LocalMesh.Kubernetes.Deploy;
using LocalMesh.Kubernetes.Export;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Hosting;

/// <summary>
/// The mesh's steps in Aspire's pipeline:
/// <c>dotnet run --project AppHost -- --operation publish --step k8s-export --output-path deploy</c>
/// writes the kustomize folder; <c>--step k8s-deploy</c> writes it and applies it to the current
/// kube context (<c>--overlay</c>, <c>--dry-run true</c>, <c>--kind-cluster</c>, <c>--smoke-path</c>,
/// <c>--rollout-timeout</c>).
/// </summary>
internal static class KubernetesPipelineSteps
{
    /// <summary>Writes the model as a kustomize folder to the output path.</summary>
    public const string Export = "k8s-export";

    /// <summary>Applies the export to the current kube context and waits for it to be ready.</summary>
    public const string Deploy = "k8s-deploy";

    public static void Add(IDistributedApplicationPipeline pipeline)
    {
        // `aspire publish -o <dir>` writes the export and `aspire deploy` applies it: both run through Aspire's well-known steps.
        var export = new PipelineStep
        {
            Name = Export,
            Description = "Writes the app model as Kubernetes, Istio, Knative and Prometheus operator manifests (a kustomize folder) to the output path.",
            Action = ExportAsync,
        };
        export.RequiredBy(WellKnownPipelineSteps.Publish);
        pipeline.AddStep(export);

        var deploy = new PipelineStep
        {
            Name = Deploy,
            Description = "Applies the export to the current kube context and waits for its workloads (--overlay, --dry-run true, --kind-cluster, --smoke-path).",
            Action = DeployAsync,
        };
        deploy.DependsOn(export);
        deploy.RequiredBy(WellKnownPipelineSteps.Deploy);
        pipeline.AddStep(deploy);
    }

    private static async Task<ExportResult> BuildExportAsync(PipelineStepContext context) =>
        KubernetesExport.Export(await KubernetesModelBuilder.BuildAsync(context.Model, context.ExecutionContext, context.CancellationToken));

    private static async Task ExportAsync(PipelineStepContext context)
    {
        var output = context.Services.GetRequiredService<IPipelineOutputService>().GetOutputDirectory();
        ExportResult result;
        try
        {
            result = await BuildExportAsync(context);
        }
        catch (MeshModelException ex)
        {
            // The model is wrong, not the program: one clear message, nothing written, exit code 1.
            context.Logger.LogError("Export failed: {Reason}", ex.Message);
            Environment.ExitCode = 1;
            return;
        }

        await result.WriteAsync(output, context.CancellationToken);

        foreach (var warning in result.Warnings)
        {
            context.Logger.LogWarning("Export: {Warning}", warning);
        }

        var objects = result.Files.Where(file => file.Path.StartsWith("base/", StringComparison.Ordinal) && !file.Path.EndsWith("kustomization.yaml", StringComparison.Ordinal)).Sum(file => file.Objects.Count);
        context.Logger.LogInformation(
            "Wrote {Objects} objects to {Base} and the overlays {Overlays}; render one with: kubectl kustomize {Overlay}",
            objects, Path.Combine(output, "base"), string.Join(", ", result.Overlays), Path.Combine(output, "overlays", "development"));
        if (result.Files.Where(file => file.Path.StartsWith("platform/", StringComparison.Ordinal) && !file.Path.EndsWith("kustomization.yaml", StringComparison.Ordinal)).ToList() is { Count: > 0 } platform)
        {
            context.Logger.LogInformation(
                "The platform the app runs on is in {Platform} ({Parts}; each needs its operator or CRDs): kubectl apply -k {Platform}, or deploy with --with-platform",
                Path.Combine(output, "platform"), string.Join(", ", platform.SelectMany(file => file.Objects).OfType<k8s.IKubernetesObject<k8s.Models.V1ObjectMeta>>()
                    .Where(item => item.Kind is not ("Namespace" or "ServiceAccount" or "ClusterRole" or "ClusterRoleBinding" or "ConfigMap"))
                    .Select(item => $"{item.Kind} {item.Metadata.Name}")), Path.Combine(output, "platform"));
        }
    }

    private static async Task DeployAsync(PipelineStepContext context)
    {
        var configuration = context.Services.GetRequiredService<IConfiguration>();
        var logger = context.Logger;
        var overlay = configuration["overlay"] ?? MeshKubernetesBuilderExtensions.LocalEnvironment;
        var timeout = TimeSpan.FromSeconds(configuration.GetValue("rollout-timeout", 300));
        try
        {
            var export = await BuildExportAsync(context);
            // --with-platform: Istio, its Telemetry, Jaeger, Prometheus and Fluentd (the export's platform/) first.
            var plan = DeployPlan.For(export, overlay, configuration.GetValue("with-platform", false));
            if (configuration.GetValue("dry-run", false))
            {
                logger.LogInformation("{Plan}", plan.Describe("the current kube context (dry run: not contacted)"));
                return;
            }

            if (configuration["kind-cluster"] is { Length: > 0 } cluster)
            {
                await LoadImagesIntoKindAsync(context, cluster);
            }

            var (client, target) = await ClusterDeployer.ConnectAsync(cancellationToken: context.CancellationToken);
            using (client)
            {
                logger.LogInformation("{Plan}", plan.Describe(target));
                var deployer = new ClusterDeployer(client, line => logger.LogInformation("{Progress}", line));
                var results = await deployer.DeployAsync(plan, timeout, context.CancellationToken);
                var summary = string.Join(Environment.NewLine, results.Select(r => $"  {(r.Ready ? "ready  " : "NOT READY")} {r.Name}: {r.Detail}"));
                logger.LogInformation("Deployed {Count} objects to {Target} ({Overlay}):{NewLine}{Summary}", plan.Steps.Count, target, overlay, Environment.NewLine, summary);
                if (results.Any(r => !r.Ready))
                {
                    throw new DeployException($"{results.Count(r => !r.Ready)} workloads were not ready within {timeout.TotalSeconds:0} s (--rollout-timeout); see 'kubectl get pods -A'.");
                }

                if (configuration["smoke-path"] is { } path)
                {
                    var url = new Uri($"http://localhost:{KubernetesExport.KindIngressHostPort}{path}");
                    var (passed, detail) = await deployer.SmokeTestAsync(url, TimeSpan.FromMinutes(2), context.CancellationToken);
                    if (!passed)
                    {
                        throw new DeployException($"The smoke test GET {url} did not answer 2xx: {detail}.");
                    }
                }
            }
        }
        catch (Exception ex) when (ex is DeployException or MeshModelException)
        {
            // One clear line, no stack trace; the AppHost exits with 1.
            logger.LogError("Deploy failed: {Reason}", ex.Message);
            Environment.ExitCode = 1;
        }
    }

    /// <summary>Builds every project's image and imports it into the kind cluster's node.</summary>
    private static async Task LoadImagesIntoKindAsync(PipelineStepContext context, string cluster)
    {
        var mesh = context.Model.Resources.OfType<MeshResource>().Single();
        var projects = context.Model.Resources.OfType<ProjectResource>().Select(project => project.GetProjectMetadata().ProjectPath)
            .Concat(context.Model.Resources.OfType<FunctionResource>().Select(function => function.Project.ProjectPath))
            .Distinct();
        using var docker = await KindImages.ConnectAsync(context.CancellationToken);
        var images = new KindImages(docker, line => context.Logger.LogInformation("{Progress}", line));
        var directory = Directory.CreateTempSubdirectory("localmesh-images-").FullName;
        try
        {
            foreach (var project in projects)
            {
                var archive = await images.BuildAsync(project, KubernetesModelBuilder.ProjectImage(project, mesh), directory, context.CancellationToken);
                await images.LoadAsync(archive, KindImages.NodeOf(cluster), context.CancellationToken);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
