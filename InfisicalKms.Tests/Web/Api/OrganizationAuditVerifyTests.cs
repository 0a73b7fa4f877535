using System.Text.Json.Nodes;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Storage;
using InfisicalKms.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static InfisicalKms.Tests.Web.Api.AuthTestHelpers;

namespace InfisicalKms.Tests.Web.Api;

/// <summary>
/// <c>GET /api/v1/organizations/{organizationId}/audit-logs/verify</c>: the organization's chain, answered as the
/// project route answers (<c>valid</c>, <c>checked</c>, <c>firstInvalidId</c>), for organization admins only;
/// another organization is not found.
/// </summary>
public sealed class OrganizationAuditVerifyTests(PeerAddressKmsFactory factory) : IClassFixture<PeerAddressKmsFactory>
{
    private static string Route(string organizationId) => $"/api/v1/organizations/{organizationId}/audit-logs/verify";

    [Fact]
    public async Task Verify_UntamperedChain_IsValidWithEveryRecordChecked()
    {
        AdminContext admin = await factory.AdminAsync();

        JsonObject body = await ApiAssert.OkAsync(await admin.Client.GetAsync(Route(admin.OrganizationId)));

        AssertMembers(body, "valid", "checked", "firstInvalidId");
        Assert.True((bool)body["valid"]!);
        Assert.Null(body["firstInvalidId"]);
        Assert.True((long)body["checked"]! >= 1, body.ToJsonString());   // at least the bootstrap record
    }

    [Fact]
    public async Task Verify_TamperedRecord_IsReportedWithTheProjectRoutesFields()
    {
        // Arrange: the second record of the organization's chain gets another actor name behind the audit log's back.
        AdminContext admin = await factory.AdminAsync();
        string projectId = await CreateProjectIdAsync(admin.Client, "Org verify");
        JsonObject projectAnswer = await ApiAssert.OkAsync(await admin.Client.GetAsync($"/api/v1/projects/{projectId}/audit-logs/verify"));
        Guid organizationId = Guid.Parse(admin.OrganizationId);
        IDbContextFactory<KmsDbContext> dbFactory = factory.Services.GetRequiredService<IDbContextFactory<KmsDbContext>>();
        AuditEvent victim;
        await using (KmsDbContext db = await dbFactory.CreateDbContextAsync())
        {
            victim = await db.AuditEvents.AsNoTracking().Where(e => e.ChainId == organizationId)
                .OrderBy(e => e.ChainIndex).Skip(1).FirstAsync();
            await db.AuditEvents.Where(e => e.Id == victim.Id).ExecuteUpdateAsync(s => s.SetProperty(e => e.ActorName, "mallory"));
        }

        try
        {
            // Act
            JsonObject body = await ApiAssert.OkAsync(await admin.Client.GetAsync(Route(admin.OrganizationId)));

            // Assert
            Assert.Equal(projectAnswer.Select(p => p.Key).Order(StringComparer.Ordinal), body.Select(p => p.Key).Order(StringComparer.Ordinal));
            Assert.False((bool)body["valid"]!);
            Assert.Equal(victim.Id.ToString(), (string?)body["firstInvalidId"]);
            Assert.Equal(1, (long)body["checked"]!);   // the first record, before the tampered one
        }
        finally
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync();
            await db.AuditEvents.Where(e => e.Id == victim.Id).ExecuteUpdateAsync(s => s.SetProperty(e => e.ActorName, victim.ActorName));
        }
    }

    [Fact]
    public async Task Verify_AnotherOrganizationAdminIdentity_IsAllowed()
    {
        AdminContext admin = await factory.AdminAsync();
        ApiCaller otherAdmin = await CreateCallerAsync(factory, admin, "org-verify-admin", orgRole: "admin");

        JsonObject body = await ApiAssert.OkAsync(await otherAdmin.Client.GetAsync(Route(admin.OrganizationId)));

        Assert.True((bool)body["valid"]!);
    }

    [Fact]
    public async Task Verify_OrganizationMemberIdentity_IsDenied()
    {
        AdminContext admin = await factory.AdminAsync();
        ApiCaller member = await CreateCallerAsync(factory, admin, "org-verify-member");

        await ApiAssert.ErrorAsync(await member.Client.GetAsync(Route(admin.OrganizationId)),
            403, "PermissionDenied", "You are not allowed to read on audit-logs");
    }

    [Fact]
    public async Task Verify_ProjectAdminWhoIsAnOrganizationMember_IsDenied()
    {
        AdminContext admin = await factory.AdminAsync();
        ApiCaller member = await CreateCallerAsync(factory, admin, "org-verify-project-admin");
        await AddIdentityMembershipAsync(admin.Client, await CreateProjectIdAsync(admin.Client, "Org verify admin"), member.IdentityId, "admin");

        await ApiAssert.ErrorAsync(await member.Client.GetAsync(Route(admin.OrganizationId)),
            403, "PermissionDenied", "You are not allowed to read on audit-logs");
    }

    [Fact]
    public async Task Verify_AnotherOrganization_IsNotFoundEvenForAnAdmin()
    {
        AdminContext admin = await factory.AdminAsync();
        ApiCaller member = await CreateCallerAsync(factory, admin, "org-verify-outsider");
        string other = Guid.NewGuid().ToString();

        await ApiAssert.ErrorAsync(await admin.Client.GetAsync(Route(other)), 404, "NotFound", $"Organization with ID \"{other}\" not found");
        await ApiAssert.ErrorAsync(await member.Client.GetAsync(Route(other)), 404, "NotFound", $"Organization with ID \"{other}\" not found");
    }

    [Fact]
    public async Task Verify_MalformedOrganizationId_IsAValidationFailure()
    {
        AdminContext admin = await factory.AdminAsync();

        JsonObject error = await ApiAssert.ErrorAsync(await admin.Client.GetAsync(Route("not-a-uuid")), 422, "ValidationFailure");

        Assert.Contains("organizationId", error.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("Invalid uuid", error.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_WithoutToken_IsUnauthorized()
    {
        AdminContext admin = await factory.AdminAsync();

        await ApiAssert.ErrorAsync(await factory.CreateClient().GetAsync(Route(admin.OrganizationId)), 401, "UnauthorizedError");
    }
}
