using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Pipelines;
using Microsoft.Extensions.Logging;

namespace LocalMesh.Hosting;

/// <summary>
/// <c>dotnet run --project AppHost -- --operation publish --step mesh-check</c>: checks the model and
/// its configuration files without starting anything, prints every finding in the words the
/// AppHost uses at start-up, and exits with 1 when there is an error, 0 otherwise — a check for CI
/// next to <c>kubectl apply --dry-run</c>.
/// </summary>
internal static class MeshCheckPipelineStep
{
    /// <summary>The step's name.</summary>
    public const string Name = "mesh-check";

    public static void Add(IDistributedApplicationPipeline pipeline) => pipeline.AddStep(new PipelineStep
    {
        Name = Name,
        Description = "Checks the mesh's model and its configuration files as istiod and istioctl analyze would, without starting anything (--mesh-config <file or folder>).",
        Action = Check,
    });

    private static Task Check(PipelineStepContext context)
    {
        var logger = context.Logger;
        var mesh = context.Model.Resources.OfType<MeshResource>().Single();
        try
        {
            var compiled = MeshModelCompiler.CompileAndCheck(context.Model, mesh);
            foreach (var warning in compiled.Warnings)
            {
                logger.LogWarning("{Warning}", warning);
            }

            foreach (var notice in compiled.Notices)
            {
                logger.LogInformation("{Notice}", notice);
            }

            logger.LogInformation("mesh-check: no errors, {Warnings} warning(s); {Services} services, {Routes} routes, {Gateways} Gateway(s) with {GatewayRoutes} routes.",
                compiled.Warnings.Count, compiled.Config.Services.Length, compiled.Config.Services.Sum(service => service.Http.Length),
                compiled.Config.Gateways.Length, compiled.Config.GatewayVirtualServices.Sum(virtualService => virtualService.Http.Length));
        }
        catch (MeshModelException error)
        {
            foreach (var warning in error.Warnings)
            {
                logger.LogWarning("{Warning}", warning);
            }

            logger.LogError("{Errors}", error.Message);
            Environment.ExitCode = 1;
        }

        return Task.CompletedTask;
    }
}
