using Bunit;
using InfisicalKms.Core.Access;
using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Kmip;
using InfisicalKms.Core.Projects;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Web.Components.Pages.Kmip;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace InfisicalKms.Tests.Web.Components.Pages.Kmip;

/// <summary>The project's KMIP page against a real Core with KMIP enabled: the clients table, adding, editing, revoking, deleting, and who may do what.</summary>
public sealed class KmipPageTests(KmipCoreTestHost kmip) : KmipComponentTest(kmip.Core), IClassFixture<KmipCoreTestHost>
{
    private const string Restricted = "Access Restricted";

    [Fact]
    public async Task Page_ListsClientsWithPermissionsAndStatus_AndTheServerCard()
    {
        // Arrange
        Project project = await Core.CreateProjectAsync($"Kmip {Guid.NewGuid():N}"[..16]);
        await CreateClientAsync(project, "storage-array", KmipPermissions.Create | KmipPermissions.Get | KmipPermissions.Encrypt, "Tier 1 array");
        KmipClient old = await CreateClientAsync(project, "old-hypervisor", KmipPermissions.None);
        await Clients.RevokeAsync(Core.AdminActor, old.Id.ToString(), CancellationToken.None);

        // Act
        IRenderedComponent<KmipPage> page = await RenderPageAsync(project);

        // Assert
        Assert.Equal(["old-hypervisor", "storage-array"], ClientNames(page).Order(StringComparer.Ordinal));
        Assert.Equal(["create", "get", "encrypt"], Row(page, "storage-array").QuerySelectorAll(".kmip-permission-chip").Select(c => c.TextContent.Trim()));
        Assert.Equal("Tier 1 array", Row(page, "storage-array").QuerySelector(".kmip-client-description")!.TextContent.Trim());
        Assert.Contains(DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), Row(page, "storage-array").TextContent);
        Assert.Equal("Active", Status(page, "storage-array"));
        Assert.Equal("Revoked", Status(page, "old-hypervisor"));
        Assert.Empty(Row(page, "old-hypervisor").QuerySelectorAll(".kmip-permission-chip"));
        Assert.Equal("Enabled", page.Find("#kmip-status").TextContent.Trim());
        Assert.Equal(KmipCoreTestHost.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), page.Find("#kmip-port").TextContent.Trim());
        Assert.Contains(KmipCoreTestHost.Host, page.Find("#kmip-endpoint").TextContent);
        Assert.Empty(page.FindAll("#kmip-disabled-note"));
    }

    [Fact]
    public async Task DownloadCa_GivesTheAuthoritysPem()
    {
        Project project = await Core.CreateProjectAsync($"Kmip {Guid.NewGuid():N}"[..16]);
        IRenderedComponent<KmipPage> page = await RenderPageAsync(project);

        page.Find("#kmip-download-ca").Click();

        string expected = await Core.Services.GetRequiredService<KmipCertificateAuthority>().GetCertificatePemAsync(CancellationToken.None);
        page.WaitForAssertion(() => Assert.Equal(["ca.pem", expected], JSInterop.VerifyInvoke("kms.download").Arguments));
    }

    [Fact]
    public async Task AddClient_ValidatesTheNameThenCreates_AndTheClientAppears()
    {
        // Arrange
        Project project = await Core.CreateProjectAsync($"Kmip {Guid.NewGuid():N}"[..16]);
        IRenderedComponent<MudDialogProvider> dialogs = Render<MudDialogProvider>();
        IRenderedComponent<MudSnackbarProvider> snackbars = Render<MudSnackbarProvider>();
        IRenderedComponent<KmipPage> page = await RenderPageAsync(project);
        Assert.Contains("No KMIP clients yet", page.Find("#no-kmip-clients").TextContent);

        // Act and assert: a bad name is refused as typed, with the service's message
        page.Find("#add-kmip-client").Click();
        dialogs.WaitForElement("#kmip-client-name").Input("Postgres Main");
        Assert.Equal("Name field can only contain lowercase letters, numbers, and hyphens", dialogs.FieldError("kmip-client-name"));
        Assert.True(dialogs.Find("#kmip-client-save").HasAttribute("disabled"));
        dialogs.Find("#kmip-client-name").Input(new string('a', 65));
        Assert.Equal("Name field must be at most 64 lowercase characters", dialogs.FieldError("kmip-client-name"));

        // Select all, clear all, select all again, then take one away
        dialogs.Find("#kmip-client-name").Input("postgres-main");
        Assert.False(dialogs.Find("#kmip-client-save").HasAttribute("disabled"));
        dialogs.Find("#kmip-client-description").Change("The main database");
        Assert.Empty(CheckedPermissions(dialogs));
        dialogs.Find("#kmip-permission-all").Change(true);
        dialogs.WaitForAssertion(() => Assert.Equal(13, CheckedPermissions(dialogs).Count));
        Assert.True(Checked(dialogs.Find("#kmip-permission-all")));
        dialogs.Find("#kmip-permission-all").Change(false);
        dialogs.WaitForAssertion(() => Assert.Empty(CheckedPermissions(dialogs)));
        dialogs.Find("#kmip-permission-all").Change(true);
        dialogs.Find("#kmip-permission-destroy").Change(false);
        dialogs.WaitForAssertion(() => Assert.DoesNotContain("destroy", CheckedPermissions(dialogs)));
        Assert.Equal(12, CheckedPermissions(dialogs).Count);
        Assert.False(Checked(dialogs.Find("#kmip-permission-all")));
        dialogs.Find("#kmip-client-save").Click();

        // The client is stored and listed
        page.WaitForAssertion(() => Assert.Equal(["postgres-main"], ClientNames(page)));
        snackbars.AssertSnackbar("KMIP client postgres-main created");
        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("#kmip-client-name")));
        KmipClient stored = Assert.Single((await Clients.ListAsync(Core.AdminActor, new ListKmipClientsRequest(project.Id.ToString()), CancellationToken.None)).Clients);
        Assert.Equal(KmipPermissionGroups.Every & ~KmipPermissions.Destroy, stored.Permissions);
        Assert.Equal("The main database", stored.Description);
        Assert.Equal(12, Row(page, "postgres-main").QuerySelectorAll(".kmip-permission-chip").Length);
    }

    private static bool Checked(AngleSharp.Dom.IElement checkbox) => checkbox.HasAttribute("checked");

    /// <summary>The wire names of the ticked permission boxes of the open dialog.</summary>
    private static List<string> CheckedPermissions(IRenderedComponent<MudDialogProvider> dialogs) =>
        KmipPermissionNames.Wire.Names.Where(n => Checked(dialogs.Find($"#kmip-permission-{n}"))).ToList();

    [Fact]
    public async Task AddClient_DuplicateName_ShowsTheServicesMessage()
    {
        Project project = await Core.CreateProjectAsync($"Kmip {Guid.NewGuid():N}"[..16]);
        await CreateClientAsync(project, "taken", KmipPermissions.Get);
        KmsException refusal = await Assert.ThrowsAnyAsync<KmsException>(() => CreateClientAsync(project, "taken", KmipPermissions.None));
        IRenderedComponent<MudDialogProvider> dialogs = Render<MudDialogProvider>();
        IRenderedComponent<MudSnackbarProvider> snackbars = Render<MudSnackbarProvider>();
        IRenderedComponent<KmipPage> page = await RenderPageAsync(project);

        page.Find("#add-kmip-client").Click();
        dialogs.WaitForElement("#kmip-client-name").Input("taken");
        dialogs.Find("#kmip-client-save").Click();

        snackbars.AssertSnackbar(refusal.Message);
        Assert.NotEmpty(dialogs.FindAll("#kmip-client-name"));   // still open, to fix the name
        Assert.Equal(["taken"], ClientNames(page));
    }

    [Fact]
    public async Task Edit_ChangesNameAndPermissions()
    {
        Project project = await Core.CreateProjectAsync($"Kmip {Guid.NewGuid():N}"[..16]);
        await CreateClientAsync(project, "vault-one", KmipPermissions.Get);
        IRenderedComponent<MudPopoverProvider> popovers = Render<MudPopoverProvider>();
        IRenderedComponent<MudDialogProvider> dialogs = Render<MudDialogProvider>();
        IRenderedComponent<KmipPage> page = await RenderPageAsync(project);

        OpenMenu(page, "vault-one");
        popovers.WaitForElement(".kmip-action-edit").Click();
        Assert.True(Checked(dialogs.WaitForElement("#kmip-permission-get")));
        dialogs.Find("#kmip-client-name").Input("vault-two");
        dialogs.Find("#kmip-permission-get").Change(false);
        dialogs.Find("#kmip-permission-locate").Change(true);
        dialogs.Find("#kmip-permission-mac").Change(true);
        dialogs.Find("#kmip-client-save").Click();

        page.WaitForAssertion(() => Assert.Equal(["vault-two"], ClientNames(page)));
        Assert.Equal(["locate", "mac"], Row(page, "vault-two").QuerySelectorAll(".kmip-permission-chip").Select(c => c.TextContent.Trim()));
    }

    [Fact]
    public async Task Revoke_AfterConfirming_TheRowSaysRevokedAndNoCertificateCanBeIssued()
    {
        // Arrange
        Project project = await Core.CreateProjectAsync($"Kmip {Guid.NewGuid():N}"[..16]);
        await CreateClientAsync(project, "to-revoke", KmipPermissions.Encrypt);
        IRenderedComponent<MudPopoverProvider> popovers = Render<MudPopoverProvider>();
        IRenderedComponent<MudDialogProvider> dialogs = Render<MudDialogProvider>();
        IRenderedComponent<MudSnackbarProvider> snackbars = Render<MudSnackbarProvider>();
        IRenderedComponent<KmipPage> page = await RenderPageAsync(project);
        Assert.Equal("Active", Status(page, "to-revoke"));

        // Act
        OpenMenu(page, "to-revoke");
        popovers.WaitForElement(".kmip-action-revoke").Click();
        Assert.Contains("Revoke the KMIP client to-revoke?", dialogs.WaitForElement(".mud-dialog").TextContent);
        dialogs.Find("#confirm-button").Click();

        // Assert
        page.WaitForAssertion(() => Assert.Equal("Revoked", Status(page, "to-revoke")));
        snackbars.AssertSnackbar("KMIP client to-revoke revoked");
        KmipClient stored = Assert.Single((await Clients.ListAsync(Core.AdminActor, new ListKmipClientsRequest(project.Id.ToString()), CancellationToken.None)).Clients);
        Assert.NotNull(stored.RevokedAt);
        OpenMenu(page, "to-revoke");
        popovers.AssertOpenMenu(
            [
                ("Issue Certificate", false, KmipAccess.ClientRevoked), ("Edit Client", true, null),
                ("Revoke Client", false, KmipAccess.ClientRevoked), ("Delete Client", true, null),
            ]);
    }

    [Fact]
    public async Task Revoke_Cancelled_ChangesNothing()
    {
        Project project = await Core.CreateProjectAsync($"Kmip {Guid.NewGuid():N}"[..16]);
        await CreateClientAsync(project, "kept", KmipPermissions.Encrypt);
        IRenderedComponent<MudPopoverProvider> popovers = Render<MudPopoverProvider>();
        IRenderedComponent<MudDialogProvider> dialogs = Render<MudDialogProvider>();
        IRenderedComponent<KmipPage> page = await RenderPageAsync(project);

        OpenMenu(page, "kept");
        popovers.WaitForElement(".kmip-action-revoke").Click();
        dialogs.WaitForElement("#confirm-button");
        dialogs.FindAll(".mud-dialog-actions button").Single(b => b.TextContent.Trim() == "Cancel").Click();

        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll(".mud-dialog")));
        Assert.Equal("Active", Status(page, "kept"));
        Assert.Null((await Clients.ListAsync(Core.AdminActor, new ListKmipClientsRequest(project.Id.ToString()), CancellationToken.None)).Clients[0].RevokedAt);
    }

    [Fact]
    public async Task Delete_OnlyOnceTheNameIsTyped_RemovesTheRow()
    {
        // Arrange
        Project project = await Core.CreateProjectAsync($"Kmip {Guid.NewGuid():N}"[..16]);
        await CreateClientAsync(project, "keep-me", KmipPermissions.Get);
        await CreateClientAsync(project, "delete-me", KmipPermissions.Get);
        IRenderedComponent<MudPopoverProvider> popovers = Render<MudPopoverProvider>();
        IRenderedComponent<MudDialogProvider> dialogs = Render<MudDialogProvider>();
        IRenderedComponent<MudSnackbarProvider> snackbars = Render<MudSnackbarProvider>();
        IRenderedComponent<KmipPage> page = await RenderPageAsync(project);

        // Act
        OpenMenu(page, "delete-me");
        popovers.WaitForElement(".kmip-action-delete").Click();
        dialogs.WaitForElement("#confirm-text").Input("delete");
        Assert.True(dialogs.Find("#confirm-button").HasAttribute("disabled"));
        dialogs.Find("#confirm-text").Input("delete-me");
        dialogs.Find("#confirm-button").Click();

        // Assert
        page.WaitForAssertion(() => Assert.Equal(["keep-me"], ClientNames(page)));
        snackbars.AssertSnackbar("KMIP client delete-me deleted");
        KmipClientPage left = await Clients.ListAsync(Core.AdminActor, new ListKmipClientsRequest(project.Id.ToString()), CancellationToken.None);
        Assert.Equal(["keep-me"], left.Clients.Select(c => c.Name));
    }

    [Theory]
    [InlineData(ProjectRole.Viewer)]
    [InlineData(ProjectRole.Member)]
    public async Task NonAdmin_SeesClientsButCannotCreateIssueEditRevokeOrDelete(ProjectRole role)
    {
        // Arrange
        Project project = await Core.CreateProjectAsync($"Kmip {Guid.NewGuid():N}"[..16]);
        await CreateClientAsync(project, "seen-only", KmipPermissions.Get | KmipPermissions.Locate);
        await SignInAsAsync(project, role);
        IRenderedComponent<MudPopoverProvider> popovers = Render<MudPopoverProvider>();

        // Act
        IRenderedComponent<KmipPage> page = await RenderPageAsync(project);

        // Assert
        Assert.Equal($"{project.Name} · your role: {role.ToWire()}", page.Find("#project-title").TextContent.Trim());
        Assert.Equal(["seen-only"], ClientNames(page));
        Assert.True(page.Find("#add-kmip-client").HasAttribute("disabled"));
        OpenMenu(page, "seen-only");
        popovers.AssertOpenMenu(
            [
                ("Issue Certificate", false, Restricted), ("Edit Client", false, Restricted),
                ("Revoke Client", false, Restricted), ("Delete Client", false, Restricted),
            ]);
    }

    [Fact]
    public async Task CryptographicOperator_IsToldItCannotSeeTheClients()
    {
        Project project = await Core.CreateProjectAsync($"Kmip {Guid.NewGuid():N}"[..16]);
        await CreateClientAsync(project, "hidden", KmipPermissions.Get);
        await SignInAsAsync(project, ProjectRole.CryptographicOperator);

        IRenderedComponent<KmipPage> page = await RenderPageAsync(project);

        Assert.Equal("Your role (cryptographic-operator) cannot see this project's KMIP clients.", page.Find("#cannot-list-kmip-clients").TextContent.Trim());
        Assert.Empty(page.FindAll(".kmip-client-name"));
        Assert.True(page.Find("#add-kmip-client").HasAttribute("disabled"));
    }

    [Fact]
    public async Task NotAMember_IsToldTheProjectDoesNotExistForThem()
    {
        Project project = await Core.CreateProjectAsync($"Kmip {Guid.NewGuid():N}"[..16]);
        await CreateClientAsync(project, "secret-client", KmipPermissions.Get);
        SignIn(await Core.CreateUserAsync($"outsider-{Guid.NewGuid():N}@example.com"));

        IRenderedComponent<KmipPage> page = Render<KmipPage>(p => p.Add(x => x.ProjectId, project.Id.ToString()));

        page.WaitForAssertion(() => Assert.Equal("This project does not exist, or you are not a member of it.", page.Find("#project-problem").TextContent.Trim()));
        Assert.Empty(page.FindAll(".kmip-client-name"));
        Assert.Empty(page.FindAll("#add-kmip-client"));
    }
}
