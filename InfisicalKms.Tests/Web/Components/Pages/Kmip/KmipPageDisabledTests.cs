using Bunit;
using InfisicalKms.Core.Kmip;
using InfisicalKms.Core.Projects;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Web.Components.Pages.Kmip;
using MudBlazor;

namespace InfisicalKms.Tests.Web.Components.Pages.Kmip;

/// <summary>The KMIP page on a server without <c>Kms:Kmip:Enabled</c> (the default): clients can be managed, no certificate issued.</summary>
public sealed class KmipPageDisabledTests(CoreTestHost core) : KmipComponentTest(core), IClassFixture<CoreTestHost>
{
    [Fact]
    public async Task Disabled_ShowsHowToEnable_AndOffersNoCaOrCertificate()
    {
        // Arrange
        Project project = await Core.CreateProjectAsync($"Kmip {Guid.NewGuid():N}"[..16]);
        await CreateClientAsync(project, "waiting", KmipPermissions.Get);
        IRenderedComponent<MudPopoverProvider> popovers = Render<MudPopoverProvider>();

        // Act
        IRenderedComponent<KmipPage> page = await RenderPageAsync(project);

        // Assert
        Assert.Equal("Disabled", page.Find("#kmip-status").TextContent.Trim());
        string note = page.Find("#kmip-disabled-note").TextContent;
        Assert.Contains("KMIP is not enabled on this server", note);
        Assert.Contains("Kms:Kmip:Enabled", note);
        Assert.Contains("Kms__Kmip__Enabled=true", note);
        Assert.Empty(page.FindAll("#kmip-download-ca"));
        Assert.Empty(page.FindAll("#kmip-port"));
        Assert.Equal(["waiting"], ClientNames(page));
        Assert.False(page.Find("#add-kmip-client").HasAttribute("disabled"));
        OpenMenu(page, "waiting");
        popovers.AssertOpenMenu(
            [
                ("Issue Certificate", false, KmipAccess.KmipDisabled), ("Edit Client", true, null),
                ("Revoke Client", true, null), ("Delete Client", true, null),
            ]);
    }
}
