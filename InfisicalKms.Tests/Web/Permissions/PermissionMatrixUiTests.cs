using System.Runtime.CompilerServices;
using Bunit;
using InfisicalKms.Core.Access;
using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Organizations;
using InfisicalKms.Core.Projects;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Web.Components.Pages.KeyManagement;
using InfisicalKms.Web.Components.Pages.Projects;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace InfisicalKms.Tests.Web.Permissions;

/// <summary>
/// The Key Management UI (and the projects page) walked by every <see cref="MatrixRole"/> as a signed-in user, against
/// a real Core: each control is enabled, shown as restricted (disabled, with "Access Restricted" where the UI
/// explains it), or absent, exactly as the API row of the route it calls says for that role
/// (<see cref="PermissionMatrix"/>, <see cref="SpecPermissions"/>). A control is absent when the view it lives in is
/// refused: the Key Management page needs <c>read</c> on <c>project</c> (route 33), the key rows need <c>read</c> on
/// <c>cmek</c> (route 4, list), the details page too (route 5); the projects page lists the projects the caller may read.
/// </summary>
public sealed class PermissionMatrixUiTests : KmsComponentTest, IClassFixture<CoreTestHost>
{
    private const int ProjectList = 32;
    private const int ProjectPage = 33;
    private const int KeyList = 4;
    private const int KeyDetails = 5;
    private const string ProjectName = "Matrix UI";
    private const string AesKey = "matrix-aes";
    private const string EccKey = "matrix-ecc";
    private const string HmacKey = "matrix-hmac";

    private static readonly ConditionalWeakTable<CoreTestHost, Lazy<Task<UiWorld>>> Worlds = [];

    /// <summary>
    /// Every control of the Key Management pages that acts on keys, and the projects page's create and delete, each
    /// with the route whose right it needs. Each key's menu must show exactly its rows here, so a new menu item needs a row.
    /// </summary>
    private static readonly UiControl[] Controls =
    [
        new("Add Key", UiPlace.Page, 1, "#add-key"),
        new("Import Keys", UiPlace.Page, 15, "#import-keys"),
        new("Encrypt Data", UiPlace.Menu, 7, AesKey),
        new("Decrypt Data", UiPlace.Menu, 8, AesKey),
        new("View Details", UiPlace.Menu, 5, AesKey),
        new("Rotate Now", UiPlace.Menu, 13, AesKey),
        new("Export Key", UiPlace.Menu, 14, AesKey),
        new("Edit Key", UiPlace.Menu, 2, AesKey),
        new("Disable Key", UiPlace.Menu, 2, AesKey),
        new("Delete Key", UiPlace.Menu, 3, AesKey),
        new("Sign Data", UiPlace.Menu, 11, EccKey),
        new("Verify Data", UiPlace.Menu, 12, EccKey),
        new("Copy Public Key", UiPlace.Menu, 9, EccKey),
        new("View Details", UiPlace.Menu, 5, EccKey),
        new("Edit Key", UiPlace.Menu, 2, EccKey),
        new("Disable Key", UiPlace.Menu, 2, EccKey),
        new("Delete Key", UiPlace.Menu, 3, EccKey),
        new("Generate MAC", UiPlace.Menu, 17, HmacKey),
        new("Verify MAC", UiPlace.Menu, 18, HmacKey),
        new("View Details", UiPlace.Menu, 5, HmacKey),
        new("Rotate Now", UiPlace.Menu, 13, HmacKey),
        new("Edit Key", UiPlace.Menu, 2, HmacKey),
        new("Disable Key", UiPlace.Menu, 2, HmacKey),
        new("Delete Key", UiPlace.Menu, 3, HmacKey),
        new("Rotate Now", UiPlace.Details, 13, "#rotate-now"),
        new("Save schedule", UiPlace.Details, 20, "#schedule-save", ExplainsRestriction: false),
        new("Create Project", UiPlace.Projects, 31, "#create-project", ExplainsRestriction: false),
        new("Delete project", UiPlace.ProjectRow, 34, $"[aria-label='Delete {ProjectName}']"),
    ];

    public PermissionMatrixUiTests(CoreTestHost core)
        : base(core)
    {
    }

    public static TheoryData<string, MatrixRole> Cases
    {
        get
        {
            var cases = new TheoryData<string, MatrixRole>();
            foreach (UiControl control in Controls)
            {
                foreach (MatrixRole role in SpecPermissions.Roles)
                {
                    cases.Add(control.Display, role);
                }
            }

            return cases;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Control_SeenByRole_IsEnabledRestrictedOrAbsentAsTheApiRowSays(string control, MatrixRole role)
    {
        // Arrange
        UiControl row = Controls.Single(c => c.Display == control);
        UiWorld world = await Worlds.GetValue(Core, core => new(() => CreateWorldAsync(core))).Value;
        SignIn(world.Users[role]);

        // Act
        string seen = row.Place switch
        {
            UiPlace.Page => Seen(await RenderKeyManagementAsync(world), row.Target),
            UiPlace.Menu => SeenInMenu(await RenderKeyManagementAsync(world), row),
            UiPlace.Details => Seen(await RenderDetailsAsync(world), row.Target),
            _ => Seen(await RenderProjectsAsync(), row.Target),
        };

        // Assert
        Assert.Equal(Expected(row, role), seen);
    }

    /// <summary>What the role must see, from the API rows: the views the control lives in, then the control's own route.</summary>
    private static string Expected(UiControl control, MatrixRole role)
    {
        int[] views = control.Place switch
        {
            UiPlace.Page => [ProjectPage],
            UiPlace.Menu => [ProjectPage, KeyList],
            UiPlace.Details => [ProjectPage, KeyDetails],
            UiPlace.Projects => [ProjectList],
            _ => [ProjectList, ProjectPage],   // the list shows the projects the caller may read
        };
        if (views.Any(route => !Allowed(route, role)))
        {
            return "absent";
        }

        return Allowed(control.Route, role) ? "enabled" : control.ExplainsRestriction ? "restricted: " + KeyMenu.AccessRestricted : "restricted";
    }

    private static bool Allowed(int route, MatrixRole role) =>
        SpecPermissions.Expect(PermissionMatrix.Route(route).Right, role).Kind == OutcomeKind.Allowed;

    private async Task<IRenderedComponent<KeyManagementPage>> RenderKeyManagementAsync(UiWorld world)
    {
        IRenderedComponent<KeyManagementPage> page = Render<KeyManagementPage>(p => p.Add(x => x.ProjectId, world.Project.Id.ToString()));
        await page.WaitForElementAsync("#project-title, #project-problem");
        return page;
    }

    private async Task<IRenderedComponent<KeyDetailsPage>> RenderDetailsAsync(UiWorld world)
    {
        IRenderedComponent<KeyDetailsPage> page = Render<KeyDetailsPage>(p => p
            .Add(x => x.ProjectId, world.Project.Id.ToString())
            .Add(x => x.KeyId, world.Keys[AesKey].Id));
        await page.WaitForElementAsync("#key-title, #key-problem");
        return page;
    }

    private async Task<IRenderedComponent<ProjectsPage>> RenderProjectsAsync()
    {
        IRenderedComponent<ProjectsPage> page = Render<ProjectsPage>();
        await page.WaitForElementAsync("#projects-table, #no-projects");
        return page;
    }

    /// <summary>A button on a page: absent, enabled, or disabled with the text of the tooltip around it.</summary>
    private static string Seen<TPage>(IRenderedComponent<TPage> page, string selector)
        where TPage : class, IComponent
    {
        if (page.FindAll(selector).Count == 0)
        {
            return "absent";
        }

        if (!page.Find(selector).HasAttribute("disabled"))
        {
            return "enabled";
        }

        string? tooltip = page.FindComponents<MudTooltip>().SingleOrDefault(t => t.FindAll(selector).Count > 0)?.Instance.Text;
        return string.IsNullOrEmpty(tooltip) ? "restricted" : "restricted: " + tooltip;
    }

    /// <summary>An item of a key's row menu, once the menu is open; the menu must show exactly the table's items for that key.</summary>
    private string SeenInMenu(IRenderedComponent<KeyManagementPage> page, UiControl control)
    {
        AngleSharp.Dom.IElement? keyRow = page.FindAll("tbody tr").SingleOrDefault(r => r.QuerySelector(".key-name")?.TextContent.Trim() == control.Target);
        if (keyRow is null)
        {
            return "absent";
        }

        IRenderedComponent<MudPopoverProvider> popovers = Render<MudPopoverProvider>();
        keyRow.QuerySelector(".key-menu button")!.Click();
        popovers.WaitForAssertion(() => Assert.NotEmpty(popovers.OpenMenuItems()));
        IReadOnlyList<(string Label, bool Enabled, string? Tooltip)> items = popovers.OpenMenuItems();
        Assert.Equal(Controls.Where(c => c.Place == UiPlace.Menu && c.Target == control.Target).Select(c => c.Name), items.Select(i => i.Label));
        (string _, bool enabled, string? tooltip) = items.Single(i => i.Label == control.Name);
        return enabled ? "enabled" : tooltip is null ? "restricted" : "restricted: " + tooltip;
    }

    private static async Task<UiWorld> CreateWorldAsync(CoreTestHost core)
    {
        Project project = await core.CreateProjectAsync(ProjectName);
        var keys = new Dictionary<string, KmsKey>
        {
            [AesKey] = await core.CreateKeyAsync(project, AesKey, KeyAlgorithm.Aes256Gcm, exportable: true),
            [EccKey] = await core.CreateKeyAsync(project, EccKey, KeyAlgorithm.EccNistP256),
            [HmacKey] = await core.CreateKeyAsync(project, HmacKey, KeyAlgorithm.HmacSha256),
        };
        var users = new Dictionary<MatrixRole, KmsUser>();
        foreach (MatrixRole role in SpecPermissions.Roles)
        {
            users[role] = role switch
            {
                MatrixRole.OrgAdmin => core.Admin,
                MatrixRole.NonMember => await core.CreateUserAsync($"non-member-{Guid.NewGuid():N}@example.com"),
                _ => await core.CreateMemberAsync(project, ProjectRoles.Wire.TryParse(role.MembershipRole(), out ProjectRole r) ? r : throw new InvalidOperationException()),
            };
        }

        return new UiWorld(project, keys, users);
    }

    private sealed record UiWorld(Project Project, IReadOnlyDictionary<string, KmsKey> Keys, IReadOnlyDictionary<MatrixRole, KmsUser> Users);

    private enum UiPlace
    {
        Page,
        Menu,
        Details,
        Projects,
        ProjectRow,
    }

    /// <summary>
    /// A control: its label, where it is (a Key Management page button, a key's row menu, the key details page, the
    /// projects page, the target project's row there), the route it calls, and how to find it.
    /// </summary>
    private sealed record UiControl(string Name, UiPlace Place, int Route, string Target, bool ExplainsRestriction = true)
    {
        public string Display => Place == UiPlace.Menu ? $"{Name} (menu of {Target})" : $"{Name} ({Place})";
    }
}
