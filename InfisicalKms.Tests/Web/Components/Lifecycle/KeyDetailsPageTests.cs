using Bunit;
using InfisicalKms.Core.Keys;
using InfisicalKms.Web.Components.Pages.KeyManagement;
using MudBlazor;

namespace InfisicalKms.Tests.Web.Components.Lifecycle;

/// <summary>The key details page: versions (spec §10.1), Rotate Now after confirmation (§7.13), schedule (§10.2).</summary>
public sealed class KeyDetailsPageTests : LifecycleBunitContext
{
    [Fact]
    public async Task Details_ListsEveryVersionNewestFirstWithTheCurrentOneMarkedAsync()
    {
        KmsKey key = await CreateKeyAsync("detailed", KeyUsage.EncryptDecrypt, KeyAlgorithm.Aes256Gcm);
        await Lifecycle.RotateAsync(Admin, key.Id, CancellationToken.None);
        await Lifecycle.RotateAsync(Admin, key.Id, CancellationToken.None);

        IRenderedComponent<KeyDetailsPage> page = RenderPage(key);

        page.WaitForAssertion(() => Assert.Equal("3", page.Find("#key-version").TextContent.Trim()), Patience);
        Assert.Equal("detailed", page.Find("#key-title").TextContent.Trim());
        Assert.Equal(["3", "2", "1"], VersionCells(page));
        Assert.Equal([true, false, false], page.FindAll("#versions-table tbody tr").Select(row => row.TextContent.Contains("Current", StringComparison.Ordinal)));
        Assert.NotEqual("never", page.Find("#last-rotation").TextContent.Trim());
        Assert.Equal("not scheduled", page.Find("#next-rotation").TextContent.Trim());
    }

    [Fact]
    public async Task RotateNow_AfterConfirmation_AddsAVersionAsync()
    {
        KmsKey key = await CreateKeyAsync("rotate-ui", KeyUsage.GenerateVerifyMac, KeyAlgorithm.HmacSha256);
        IRenderedComponent<MudDialogProvider> dialogs = Render<MudDialogProvider>();
        IRenderedComponent<KeyDetailsPage> page = RenderPage(key);
        page.WaitForAssertion(() => Assert.Equal(["1"], VersionCells(page)), Patience);
        Assert.Equal("never", page.Find("#last-rotation").TextContent.Trim());

        page.Find("#rotate-now").Click();
        dialogs.WaitForAssertion(() => Assert.Contains("Rotate rotate-ui now? Version 2 will encrypt from now on", dialogs.Markup, StringComparison.Ordinal), Patience);
        Assert.Equal(1, (await Keys.GetAsync(Admin, key.Id, CancellationToken.None)).Version);   // nothing before confirming
        dialogs.Find("#confirm-button").Click();

        page.WaitForAssertion(() => Assert.Equal(["2", "1"], VersionCells(page)), Patience);
        Assert.Equal("2", page.Find("#key-version").TextContent.Trim());
        Assert.NotEqual("never", page.Find("#last-rotation").TextContent.Trim());
        Assert.Equal(2, (await Keys.GetAsync(Admin, key.Id, CancellationToken.None)).Version);
    }

    [Fact]
    public async Task RotateNow_Cancelled_AddsNoVersionAsync()
    {
        KmsKey key = await CreateKeyAsync("keep-ui", KeyUsage.EncryptDecrypt, KeyAlgorithm.Aes128Gcm);
        IRenderedComponent<MudDialogProvider> dialogs = Render<MudDialogProvider>();
        IRenderedComponent<KeyDetailsPage> page = RenderPage(key);
        page.WaitForAssertion(() => Assert.Equal(["1"], VersionCells(page)), Patience);

        page.Find("#rotate-now").Click();
        dialogs.WaitForAssertion(() => Assert.NotEmpty(dialogs.FindAll("#confirm-button")), Patience);
        dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Cancel").Click();

        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("#confirm-button")), Patience);
        Assert.Equal(["1"], VersionCells(page));
        Assert.Equal(1, (await Keys.GetAsync(Admin, key.Id, CancellationToken.None)).Version);
    }

    [Fact]
    public async Task SaveSchedule_StoresTheIntervalAndShowsTheNextRotationAsync()
    {
        KmsKey key = await CreateKeyAsync("schedule-ui", KeyUsage.EncryptDecrypt, KeyAlgorithm.Aes256Gcm);
        IRenderedComponent<KeyDetailsPage> page = RenderPage(key);
        page.WaitForAssertion(() => Assert.Equal("not scheduled", page.Find("#next-rotation").TextContent.Trim()), Patience);

        page.Find("#schedule-enabled").Change(true);
        page.Find("#schedule-days").Change("7");
        page.Find("#schedule-save").Click();

        KmsKey saved = default!;
        await page.WaitForAssertionAsync(async () =>
        {
            saved = await Keys.GetAsync(Admin, key.Id, CancellationToken.None);
            Assert.True(saved.RotationEnabled);
        }, Patience);
        Assert.Equal(7, saved.RotationIntervalDays);
        Assert.Equal(saved.UpdatedAt.AddDays(7), saved.NextRotationAt);
        string expected = saved.NextRotationAt!.Value.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture);
        page.WaitForAssertion(() => Assert.Equal(expected, page.Find("#next-rotation").TextContent.Trim()), Patience);

        // Turning it off keeps the interval and clears the next rotation (spec §10.2).
        page.Find("#schedule-enabled").Change(false);
        page.Find("#schedule-save").Click();
        page.WaitForAssertion(() => Assert.Equal("not scheduled", page.Find("#next-rotation").TextContent.Trim()), Patience);
        KmsKey off = await Keys.GetAsync(Admin, key.Id, CancellationToken.None);
        Assert.False(off.RotationEnabled);
        Assert.Equal(7, off.RotationIntervalDays);
        Assert.Null(off.NextRotationAt);
    }

    [Fact]
    public async Task Details_SignVerifyKey_HasNoRotationPanelAsync()
    {
        KmsKey key = await CreateKeyAsync("signer-ui", KeyUsage.SignVerify, KeyAlgorithm.EccNistP256);

        IRenderedComponent<KeyDetailsPage> page = RenderPage(key);

        page.WaitForAssertion(() => Assert.Equal(["1"], VersionCells(page)), Patience);
        Assert.Empty(page.FindAll("#rotation"));
        Assert.Empty(page.FindAll("#rotate-now"));
    }

    [Fact]
    public async Task Details_DisabledKey_CannotBeRotatedFromThePageAsync()
    {
        KmsKey key = await CreateKeyAsync("off-ui", KeyUsage.EncryptDecrypt, KeyAlgorithm.Aes256Gcm);
        await Keys.UpdateAsync(Admin, key.Id, new UpdateKeyRequest(null, null, IsDisabled: true), CancellationToken.None);

        IRenderedComponent<KeyDetailsPage> page = RenderPage(key);

        page.WaitForAssertion(() => Assert.True(page.Find("#rotate-now").HasAttribute("disabled")), Patience);
        Assert.Contains("Disabled", page.Find("#key-facts").TextContent, StringComparison.Ordinal);
        Assert.False(page.Find("#schedule-save").HasAttribute("disabled"));   // the schedule has no disabled check
    }

    [Fact]
    public void Details_UnknownKey_ShowsTheProblem()
    {
        IRenderedComponent<KeyDetailsPage> page = Render<KeyDetailsPage>(parameters => parameters
            .Add(p => p.ProjectId, ProjectId)
            .Add(p => p.KeyId, Guid.NewGuid()));

        page.WaitForAssertion(() => Assert.Equal("This key does not exist, or your role cannot see it.", page.Find("#key-problem").TextContent.Trim()), Patience);
    }

    private IRenderedComponent<KeyDetailsPage> RenderPage(KmsKey key) =>
        Render<KeyDetailsPage>(parameters => parameters
            .Add(p => p.ProjectId, ProjectId)
            .Add(p => p.KeyId, key.Id));

    private static string[] VersionCells(IRenderedComponent<KeyDetailsPage> page) =>
        page.FindAll("#versions-table tbody tr").Select(row => row.QuerySelector("td")!.TextContent.Trim()).ToArray();
}
