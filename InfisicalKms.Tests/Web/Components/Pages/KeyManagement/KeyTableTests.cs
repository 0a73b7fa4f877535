using Bunit;
using InfisicalKms.Core.Access;
using InfisicalKms.Core.Keys;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Web.Components.Pages.KeyManagement;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace InfisicalKms.Tests.Web.Components.Pages.KeyManagement;

/// <summary>The table on its own: it only renders the keys, search and role it is given.</summary>
public sealed class KeyTableTests : BunitContext, IAsyncLifetime
{
    private static readonly KmsKey[] Keys =
    [
        Key("alpha-one", KeyAlgorithm.Aes256Gcm),
        Key("alpha-two", KeyAlgorithm.Aes128Gcm),
        Key("beta", KeyAlgorithm.EccNistP256),
    ];

    public KeyTableTests()
    {
        this.AddMudTestServices();
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    [Theory]
    [InlineData(null, new[] { "alpha-one", "alpha-two", "beta" })]
    [InlineData("   ", new[] { "alpha-one", "alpha-two", "beta" })]
    [InlineData("ALPHA", new[] { "alpha-one", "alpha-two" })]
    [InlineData("pha-t", new[] { "alpha-two" })]
    [InlineData(" Beta ", new[] { "beta" })]
    public void Search_FiltersByNameSubstringIgnoringCase(string? search, string[] names)
    {
        IRenderedComponent<KeyTable> table = RenderTable(Keys, search, ProjectRole.Admin);

        Assert.Equal(names, table.FindAll(".key-name").Select(n => n.TextContent.Trim()));
        Assert.Empty(table.FindAll("#no-match"));
    }

    [Fact]
    public void Search_NothingMatches_ShowsNoKeyMatches()
    {
        IRenderedComponent<KeyTable> table = RenderTable(Keys, "zzz", ProjectRole.Admin);

        Assert.Contains("No key matches \"zzz\"", table.Find("#no-match").TextContent);
        Assert.Empty(table.FindAll("#keys-table"));
        Assert.Empty(table.FindAll("#no-keys"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("alpha")]
    public void NoKeys_ShowsNoKeysYet(string? search)
    {
        IRenderedComponent<KeyTable> table = RenderTable([], search, ProjectRole.Admin);

        Assert.Contains("No keys yet", table.Find("#no-keys").TextContent);
        Assert.Empty(table.FindAll("#no-match"));
    }

    [Fact]
    public void Row_ShowsTheKeysColumns()
    {
        KmsKey off = Key("gamma", KeyAlgorithm.EccNistP384, disabled: true);
        IRenderedComponent<KeyTable> table = RenderTable([off], null, ProjectRole.Admin);

        string[] cells = table.FindAll("#keys-table tbody td").Select(c => c.TextContent.Trim()).ToArray();

        Assert.Equal(["gamma", off.Id.ToString(), "Sign/Verify", "ECC_NIST_P384", "Disabled", "1", ""], cells);
    }

    public static TheoryData<ProjectRole, KeyAlgorithm, bool, bool> MenuCases()
    {
        var cases = new TheoryData<ProjectRole, KeyAlgorithm, bool, bool>();
        foreach (ProjectRole role in new[] { ProjectRole.Admin, ProjectRole.Member, ProjectRole.Viewer, ProjectRole.CryptographicOperator })
        {
            cases.Add(role, KeyAlgorithm.Aes256Gcm, false, false);
            cases.Add(role, KeyAlgorithm.EccNistP256, false, true);
            cases.Add(role, KeyAlgorithm.HmacSha256, false, false);
            cases.Add(role, KeyAlgorithm.Aes256Gcm, true, true);
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(MenuCases))]
    public void Menu_EachRole_ShowsKeyMenuItemsWithTheirStateAndTooltip(ProjectRole role, KeyAlgorithm algorithm, bool disabled, bool exportable)
    {
        IRenderedComponent<MudPopoverProvider> popovers = Render<MudPopoverProvider>();
        KmsKey key = Key("menu-key", algorithm, disabled, exportable);
        IRenderedComponent<KeyTable> table = RenderTable([key], null, role);

        table.Find(".key-menu button").Click();

        // KeyMenu.For itself is checked against the spec in KeyMenuTests; here: the table shows exactly it.
        popovers.AssertOpenMenu(KeyMenu.For(key, role).Select(i => (i.Label, i.Enabled, i.DisabledReason)));
    }

    [Fact]
    public void Menu_ItemClicked_RaisesOnActionWithTheKey()
    {
        IRenderedComponent<MudPopoverProvider> popovers = Render<MudPopoverProvider>();
        (KmsKey Key, KeyAction Action)? raised = null;
        IRenderedComponent<KeyTable> table = Render<KeyTable>(p => p
            .Add(t => t.Keys, Keys)
            .Add(t => t.Role, ProjectRole.Member)
            .Add(t => t.OnAction, request => raised = request));

        table.FindAll("tbody tr")[1].QuerySelector(".key-menu button")!.Click();
        popovers.WaitForElement(".key-action-decrypt").Click();

        table.WaitForAssertion(() => Assert.Equal((Keys[1], KeyAction.Decrypt), raised));
    }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync() => await base.DisposeAsync();

    private IRenderedComponent<KeyTable> RenderTable(IReadOnlyList<KmsKey> keys, string? search, ProjectRole role) =>
        Render<KeyTable>(p => p.Add(t => t.Keys, keys).Add(t => t.Search, search).Add(t => t.Role, role));

    private static KmsKey Key(string name, KeyAlgorithm algorithm, bool disabled = false, bool exportable = false) => new()
    {
        Id = Guid.CreateVersion7(),
        Name = name,
        Usage = algorithm.Usage(),
        Algorithm = algorithm,
        IsDisabled = disabled,
        IsExportable = exportable,
    };
}
