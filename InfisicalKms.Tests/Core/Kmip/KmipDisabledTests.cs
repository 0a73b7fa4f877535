using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Kmip;
using InfisicalKms.Core.Storage;
using InfisicalKms.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace InfisicalKms.Tests.Core.Kmip;

/// <summary>A server without <c>Kms:Kmip:Enabled</c>: clients can be managed, but no certificate is issued and no CA is made.</summary>
public sealed class KmipDisabledTests(CoreTestHost core) : IClassFixture<CoreTestHost>
{
    [Fact]
    public async Task IssueCertificate_KmipDisabled_Is400AndMakesNoCa()
    {
        KmipClientService clients = core.Services.GetRequiredService<KmipClientService>();
        KmipClient client = await clients.CreateAsync(core.AdminActor,
            new CreateKmipClientRequest(core.Project.Id.ToString(), "early-client", null, KmipPermissions.Get), CancellationToken.None);

        KmsBadRequestException error = await Assert.ThrowsAsync<KmsBadRequestException>(() => clients.IssueCertificateAsync(core.AdminActor,
            client.Id.ToString(), new IssueKmipCertificateRequest(null, null, null), CancellationToken.None));

        Assert.Equal("KMIP is not enabled on this server: set Kms:Kmip:Enabled to true", error.Message);
        await using KmsDbContext db = await core.Services.GetRequiredService<IDbContextFactory<KmsDbContext>>().CreateDbContextAsync();
        Assert.False(await db.KmipAuthority.AnyAsync());
        Assert.False(await db.KmipCertificates.AnyAsync());
        Assert.Null(await core.Services.GetRequiredService<KmipCertificateAuthority>().FindCertificatePemAsync(CancellationToken.None));
    }
}
