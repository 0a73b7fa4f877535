using InfisicalKms.Core.Kmip;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace InfisicalKms.Tests.Core.Kmip;

/// <summary>Instances that start together with KMIP enabled on a database without a CA: one CA is made, and all use it.</summary>
public sealed class KmipCertificateAuthorityRaceTests(KmipCoreHost host) : IClassFixture<KmipCoreHost>
{
    [Fact]
    public async Task EnsureCreated_ThreeProcessesAtOnce_StoreOneCaThatAllServe()
    {
        IServiceProvider[] processes = [host.Services, await host.StartProcessAsync(), await host.StartProcessAsync()];
        KmipCertificateAuthority[] authorities = [.. processes.Select(p => p.GetRequiredService<KmipCertificateAuthority>())];

        await Task.WhenAll(authorities.Select(a => Task.Run(() => a.EnsureCreatedAsync(CancellationToken.None))));
        string[] pems = await Task.WhenAll(authorities.Select(a => a.GetCertificatePemAsync(CancellationToken.None)));

        await using KmsDbContext db = await host.Services.GetRequiredService<IDbContextFactory<KmsDbContext>>().CreateDbContextAsync();
        Assert.Equal(1, await db.KmipAuthority.CountAsync());
        Assert.Single(pems.Distinct());
        Assert.StartsWith("-----BEGIN CERTIFICATE-----\n", pems[0]);
    }
}
