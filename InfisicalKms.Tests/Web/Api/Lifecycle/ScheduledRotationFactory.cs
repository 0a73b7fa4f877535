using InfisicalKms.Core.Keys;
using InfisicalKms.Tests.TestSupport;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace InfisicalKms.Tests.Web.Api.Lifecycle;

/// <summary>
/// The test server on a database and root key the test owns, so that a second factory can start on the
/// same data after the first is disposed (a restart). With <paramref name="runHostedScheduler"/> false, the
/// background loop of <see cref="KeyRotationScheduler"/> is not started and only the test's own calls to
/// <see cref="KeyRotationScheduler.RunDueRotationsAsync"/> rotate, so their counts are exact.
/// </summary>
public sealed class ScheduledRotationFactory(TestDatabase database, string rootEncryptionKey, bool runHostedScheduler = false)
    : KmsWebApplicationFactory(database)
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["ROOT_ENCRYPTION_KEY"] = rootEncryptionKey,
    };

    public KeyRotationScheduler Scheduler => Services.GetRequiredService<KeyRotationScheduler>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        if (!runHostedScheduler)
        {
            builder.ConfigureTestServices(services =>
            {
                foreach (ServiceDescriptor hosted in services.Where(IsSchedulerLoop).ToList())
                {
                    services.Remove(hosted);
                }
            });
        }
    }

    /// <summary>The <c>AddHostedService(sp => sp.GetRequiredService&lt;KeyRotationScheduler&gt;())</c> registration.</summary>
    private static bool IsSchedulerLoop(ServiceDescriptor descriptor) =>
        descriptor.ServiceType == typeof(IHostedService)
        && (descriptor.ImplementationType == typeof(KeyRotationScheduler)
            || descriptor.ImplementationFactory?.GetType().GenericTypeArguments.LastOrDefault() == typeof(KeyRotationScheduler));
}
