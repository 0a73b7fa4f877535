using InfisicalKms.Core.Kmip;
using InfisicalKms.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace InfisicalKms.Tests.Web.Components.Pages.Kmip;

/// <summary>
/// A real Core with KMIP enabled (<c>Kms:Kmip:Enabled=true</c>, port <see cref="Port"/>, first server name
/// <see cref="Host"/>) and its certificate authority created, as the listener does at start-up.
/// </summary>
public sealed class KmipCoreTestHost : IAsyncLifetime
{
    public const int Port = 15696;
    public const string Host = "kms.example.com";

    public CoreTestHost Core { get; } = new(new Dictionary<string, string?>
    {
        ["Kms:Kmip:Enabled"] = "true",
        ["Kms:Kmip:Port"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Kms:Kmip:ServerNames:0"] = Host,
        ["Kms:Kmip:ServerNames:1"] = "127.0.0.1",
    });

    public async Task InitializeAsync()
    {
        await Core.InitializeAsync();
        await Core.Services.GetRequiredService<KmipCertificateAuthority>().EnsureCreatedAsync(CancellationToken.None);
    }

    public Task DisposeAsync() => Core.DisposeAsync();
}
