using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Organizations;
using InfisicalKms.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace InfisicalKms.Tests.Core.Audit;

/// <summary>Web sign-ins are recorded in the organization chain (extension event <c>login-user</c>).</summary>
public sealed class SignInAuditTests(CoreTestHost core) : IClassFixture<CoreTestHost>
{
    private static readonly RequestOrigin Browser = new("192.0.2.10", "Mozilla/5.0 (sign-in test)");

    [Fact]
    public async Task Success_IsRecordedAsTheUser()
    {
        await core.Services.GetRequiredService<SignInAudit>().RecordAsync(CoreTestHost.AdminEmail, succeeded: true, Browser, CancellationToken.None);

        AuditEvent record = await NewestAsync();
        Assert.Equal((AuditEventTypes.LoginUser, "success", "user", (Guid?)core.Admin.Id, CoreTestHost.AdminEmail),
            (record.EventType, record.Outcome, record.ActorType, record.ActorId, record.ActorName));
        Assert.Equal((Browser.IpAddress, Browser.UserAgent, (Guid?)null), (record.IpAddress, record.UserAgent, record.ProjectId));
    }

    [Fact]
    public async Task UnknownEmail_IsRecordedAsAnUnknownUserWithTheEmailAsTyped()
    {
        await core.Services.GetRequiredService<SignInAudit>().RecordAsync("nobody@example.com", succeeded: false, Browser, CancellationToken.None);

        AuditEvent record = await NewestAsync();
        Assert.Equal(("failure", "user", (Guid?)null, ""), (record.Outcome, record.ActorType, record.ActorId, record.ActorName));
        Assert.Equal("nobody@example.com", record.Metadata["email"]);
        Assert.Equal(("401", "UnauthorizedError"), (record.Metadata["statusCode"], record.Metadata["error"]));
    }

    private async Task<AuditEvent> NewestAsync()
    {
        AuditPage page = await core.Services.GetRequiredService<AuditLogService>()
            .QueryOrganizationAsync(core.AdminActor, new AuditQuery(Limit: 1, EventType: AuditEventTypes.LoginUser), CancellationToken.None);
        return Assert.Single(page.Events);
    }
}
