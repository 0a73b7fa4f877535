using Bunit;
using InfisicalKms.Core.Access;
using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Organizations;
using InfisicalKms.Core.Projects;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Web.Components.Pages.KeyManagement;
using MudBlazor;

namespace InfisicalKms.Tests.Web.Components.Pages.KeyManagement;

/// <summary>The page against a real Core: the signed-in user's membership decides what it shows and enables.</summary>
public sealed class KeyManagementPageTests(CoreTestHost core) : KmsComponentTest(core), IClassFixture<CoreTestHost>
{
    private const string Restricted = "Access Restricted";

    [Fact]
    public async Task Search_TypedOnThePage_FiltersByNameIgnoringCase()
    {
        // Arrange
        Project project = await ProjectWithKeysAsync();
        IRenderedComponent<KeyManagementPage> page = await RenderPageAsync(project);
        Assert.Equal(["alpha-one", "alpha-two", "beta-sign", "delta-export", "gamma-off"], KeyNames(page));

        // Act and assert
        page.Find("#key-search").Input("ALPHA");
        page.WaitForAssertion(() => Assert.Equal(["alpha-one", "alpha-two"], KeyNames(page)));
        page.Find("#key-search").Input("a-s");
        page.WaitForAssertion(() => Assert.Equal(["beta-sign"], KeyNames(page)));
        page.Find("#key-search").Input("zzz");
        page.WaitForAssertion(() => Assert.Contains("No key matches \"zzz\"", page.Find("#no-match").TextContent));
        page.Find("#key-search").Input("");
        page.WaitForAssertion(() => Assert.Equal(5, KeyNames(page).Count));
    }

    [Fact]
    public async Task EmptyProject_ShowsNoKeysYet()
    {
        Project project = await Core.CreateProjectAsync("Empty");

        IRenderedComponent<KeyManagementPage> page = await RenderPageAsync(project);

        Assert.Contains("No keys yet", page.Find("#no-keys").TextContent);
        Assert.Equal("Empty · your role: admin", page.Find("#project-title").TextContent.Trim());
    }

    [Theory]
    [InlineData(ProjectRole.Admin, true)]
    [InlineData(ProjectRole.Member, false)]   // member has everything but export-private-key
    public async Task Menu_AdminOrMember_EnablesEverythingButExportForMembers(ProjectRole role, bool canExport)
    {
        Project project = await ProjectWithKeysAsync();
        await SignInAsAsync(project, role);
        IRenderedComponent<MudPopoverProvider> popovers = Render<MudPopoverProvider>();
        IRenderedComponent<KeyManagementPage> page = await RenderPageAsync(project);

        Assert.Equal($"{project.Name} · your role: {role.ToWire()}", page.Find("#project-title").TextContent.Trim());
        Assert.False(page.Find("#add-key").HasAttribute("disabled"));
        OpenMenu(page, "delta-export");
        popovers.AssertOpenMenu(
            [
                ("Encrypt Data", true, null), ("Decrypt Data", true, null), ("View Details", true, null), ("Rotate Now", true, null),
                ("Export Key", canExport, canExport ? null : Restricted),
                ("Edit Key", true, null), ("Disable Key", true, null), ("Delete Key", true, null),
            ]);
    }

    [Fact]
    public async Task Menu_Viewer_SeesKeysButEveryCryptoAndEditItemIsRestricted()
    {
        // Arrange
        Project project = await ProjectWithKeysAsync();
        await SignInAsAsync(project, ProjectRole.Viewer);
        IRenderedComponent<MudPopoverProvider> popovers = Render<MudPopoverProvider>();

        // Act
        IRenderedComponent<KeyManagementPage> page = await RenderPageAsync(project);

        // Assert
        Assert.Equal(["alpha-one", "alpha-two", "beta-sign", "delta-export", "gamma-off"], KeyNames(page));
        Assert.True(page.Find("#add-key").HasAttribute("disabled"));
        OpenMenu(page, "alpha-one");
        popovers.AssertOpenMenu(
            [
                ("Encrypt Data", false, Restricted), ("Decrypt Data", false, Restricted), ("View Details", true, null), ("Rotate Now", false, Restricted),
                ("Edit Key", false, Restricted), ("Disable Key", false, Restricted), ("Delete Key", false, Restricted),
            ]);
        popovers.WaitForElement(".key-action-encrypt").ParentElement!.PointerEnter();
        popovers.WaitForAssertion(() => Assert.Contains("Access Restricted", popovers.FindAll(".mud-tooltip").Select(t => t.TextContent.Trim())));
        OpenMenu(page, "alpha-one");   // closes it again
        OpenMenu(page, "beta-sign");
        popovers.AssertOpenMenu(
            [
                ("Sign Data", false, Restricted), ("Verify Data", false, Restricted), ("Copy Public Key", true, null), ("View Details", true, null),
                ("Edit Key", false, Restricted), ("Disable Key", false, Restricted), ("Delete Key", false, Restricted),
            ]);
    }

    [Fact]
    public async Task Menu_DisabledKey_DisablesOnlyTheCryptoItems()
    {
        Project project = await ProjectWithKeysAsync();
        IRenderedComponent<MudPopoverProvider> popovers = Render<MudPopoverProvider>();
        IRenderedComponent<KeyManagementPage> page = await RenderPageAsync(project);

        OpenMenu(page, "gamma-off");

        popovers.AssertOpenMenu(
            [
                ("Encrypt Data", false, "Key Disabled"), ("Decrypt Data", false, "Key Disabled"), ("View Details", true, null),
                ("Rotate Now", false, "Key Disabled"), ("Edit Key", true, null), ("Enable Key", true, null), ("Delete Key", true, null),
            ]);
    }

    [Fact]
    public async Task CryptographicOperator_IsToldItCannotListKeys()
    {
        Project project = await ProjectWithKeysAsync();
        await SignInAsAsync(project, ProjectRole.CryptographicOperator);

        IRenderedComponent<KeyManagementPage> page = await RenderPageAsync(project);

        Assert.Equal("Your role (cryptographic-operator) can use keys by ID through the API but cannot list them.",
            page.Find("#cannot-list").TextContent.Trim());
        Assert.Empty(page.FindAll("#key-search"));
        Assert.Empty(page.FindAll(".key-name"));
        Assert.True(page.Find("#add-key").HasAttribute("disabled"));
    }

    [Fact]
    public async Task NotAMember_IsToldTheProjectDoesNotExistForThem()
    {
        Project project = await ProjectWithKeysAsync();
        SignIn(await Core.CreateUserAsync($"outsider-{Guid.NewGuid():N}@example.com"));

        IRenderedComponent<KeyManagementPage> page = Render<KeyManagementPage>(p => p.Add(x => x.ProjectId, project.Id.ToString()));

        page.WaitForAssertion(() => Assert.Equal("This project does not exist, or you are not a member of it.",
            page.Find("#project-problem").TextContent.Trim()));
        Assert.Empty(page.FindAll(".key-name"));
        Assert.Empty(page.FindAll("#add-key"));
    }

    [Fact]
    public void UnknownProject_GetsTheSameMessage()
    {
        IRenderedComponent<KeyManagementPage> page = Render<KeyManagementPage>(p => p.Add(x => x.ProjectId, Guid.NewGuid().ToString()));

        page.WaitForAssertion(() => Assert.Equal("This project does not exist, or you are not a member of it.",
            page.Find("#project-problem").TextContent.Trim()));
    }

    [Fact]
    public async Task AddKey_Created_AppearsInTheTable()
    {
        Project project = await Core.CreateProjectAsync("Add Key");
        IRenderedComponent<MudDialogProvider> dialogs = Render<MudDialogProvider>();
        IRenderedComponent<KeyManagementPage> page = await RenderPageAsync(project);

        page.Find("#add-key").Click();
        dialogs.WaitForElement("#key-name").Input("added-key");
        dialogs.Find("#key-save").Click();

        page.WaitForAssertion(() => Assert.Equal(["added-key"], KeyNames(page)));
        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("#key-name")));   // closed
    }

    [Fact]
    public async Task Menu_DisableKey_DisablesItAndTheRowSaysSo()
    {
        Project project = await ProjectWithKeysAsync();
        IRenderedComponent<MudPopoverProvider> popovers = Render<MudPopoverProvider>();
        IRenderedComponent<KeyManagementPage> page = await RenderPageAsync(project);

        OpenMenu(page, "alpha-two");
        popovers.WaitForElement(".key-action-toggledisabled").Click();

        page.WaitForAssertion(() => Assert.Contains("Disabled", Row(page, "alpha-two").TextContent));
        KmsKey stored = await Core.Keys.GetByNameAsync(Core.AdminActor, "alpha-two", project.Id.ToString(), CancellationToken.None);
        Assert.True(stored.IsDisabled);
    }

    [Fact]
    public async Task Menu_DeleteKey_DeletesOnlyOnceTheNameIsTyped()
    {
        // Arrange
        Project project = await ProjectWithKeysAsync();
        IRenderedComponent<MudPopoverProvider> popovers = Render<MudPopoverProvider>();
        IRenderedComponent<MudDialogProvider> dialogs = Render<MudDialogProvider>();
        IRenderedComponent<KeyManagementPage> page = await RenderPageAsync(project);
        OpenMenu(page, "beta-sign");
        popovers.WaitForElement(".key-action-delete").Click();

        // Act and assert: the confirmation wants the exact name
        dialogs.WaitForElement("#confirm-text").Input("beta");
        Assert.True(dialogs.Find("#confirm-button").HasAttribute("disabled"));
        dialogs.Find("#confirm-text").Input("beta-sign");
        dialogs.Find("#confirm-button").Click();

        page.WaitForAssertion(() => Assert.Equal(["alpha-one", "alpha-two", "delta-export", "gamma-off"], KeyNames(page)));
        KeyPage left = await Core.Keys.ListAsync(Core.AdminActor, new ListKeysRequest(project.Id.ToString(), 0, 100, false, null), CancellationToken.None);
        Assert.DoesNotContain(left.Keys, k => k.Name == "beta-sign");
    }

    /// <summary>A fresh project with two AES keys, an ECC signing key, an exportable AES key and a disabled AES key.</summary>
    private async Task<Project> ProjectWithKeysAsync()
    {
        Project project = await Core.CreateProjectAsync($"Keys {Guid.NewGuid():N}"[..16]);
        await Core.CreateKeyAsync(project, "alpha-two", KeyAlgorithm.Aes256Gcm);
        await Core.CreateKeyAsync(project, "beta-sign", KeyAlgorithm.EccNistP256);
        await Core.CreateKeyAsync(project, "alpha-one", KeyAlgorithm.Aes128Gcm);
        await Core.CreateKeyAsync(project, "delta-export", KeyAlgorithm.Aes256Gcm, exportable: true);
        KmsKey off = await Core.CreateKeyAsync(project, "gamma-off", KeyAlgorithm.Aes256Gcm);
        await Core.Keys.UpdateAsync(Core.AdminActor, off.Id, new UpdateKeyRequest(null, null, true), CancellationToken.None);
        return project;
    }

    private async Task SignInAsAsync(Project project, ProjectRole role)
    {
        if (role != ProjectRole.Admin)
        {
            KmsUser user = await Core.CreateMemberAsync(project, role);
            SignIn(user);
        }
    }

    private async Task<IRenderedComponent<KeyManagementPage>> RenderPageAsync(Project project)
    {
        IRenderedComponent<KeyManagementPage> page = Render<KeyManagementPage>(p => p.Add(x => x.ProjectId, project.Id.ToString()));
        await page.WaitForElementAsync("#project-title");
        return page;
    }

    private static List<string> KeyNames(IRenderedComponent<KeyManagementPage> page) =>
        page.FindAll(".key-name").Select(n => n.TextContent.Trim()).ToList();

    private static AngleSharp.Dom.IElement Row(IRenderedComponent<KeyManagementPage> page, string name) =>
        page.FindAll("tbody tr").Single(r => r.QuerySelector(".key-name")?.TextContent.Trim() == name);

    /// <summary>Opens a row's menu once the row has loaded (listing is audited, so it completes after the first render).</summary>
    private static void OpenMenu(IRenderedComponent<KeyManagementPage> page, string name)
    {
        page.WaitForAssertion(() => Row(page, name));
        Row(page, name).QuerySelector(".key-menu button")!.Click();
    }
}
