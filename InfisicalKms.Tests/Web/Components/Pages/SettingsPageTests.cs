using Bunit;
using InfisicalKms.Core.RootKeys;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Web.Components.Pages;
using Microsoft.Extensions.DependencyInjection;

namespace InfisicalKms.Tests.Web.Components.Pages;

public sealed class SettingsPageTests(CoreTestHost core) : KmsComponentTest(core), IClassFixture<CoreTestHost>
{
    [Fact]
    public void Render_SoftwareRootKey_ShowsStrategyAndNoHsmRows()
    {
        IRenderedComponent<Settings> page = Render<Settings>();

        page.WaitForAssertion(() => Assert.Equal("SOFTWARE", page.Find("#root-key-strategy").TextContent.Trim()));
        Assert.Equal("ROOT_ENCRYPTION_KEY", page.Find("#root-key-source").TextContent.Trim());
        Assert.Empty(page.FindAll("#hsm-token-label"));
    }

    [Fact]
    public void Render_HsmRootKey_ShowsTokenLabelManufacturerAndModel()
    {
        // The page only reads RootKey.Status: give the class's root key an HSM status for this test, then restore it.
        RootKey rootKey = Core.Services.GetRequiredService<RootKey>();
        RootKeyStatus original = rootKey.Status!;
        byte[] bytes = rootKey.Bytes.ToArray();
        rootKey.Install(bytes.ToArray(), new RootKeyStatus(RootKeyStrategy.Hsm, "HSM_KEY_LABEL=kms-root")
        {
            TokenLabel = "kms", Manufacturer = "SoftHSM project", Model = "SoftHSM v2", Mechanism = "CKM_AES_GCM",
        });
        try
        {
            IRenderedComponent<Settings> page = Render<Settings>();

            page.WaitForAssertion(() => Assert.Equal("HSM", page.Find("#root-key-strategy").TextContent.Trim()));
            Assert.Equal("kms", page.Find("#hsm-token-label").TextContent.Trim());
            Assert.Equal("SoftHSM project", page.Find("#hsm-manufacturer").TextContent.Trim());
            Assert.Equal("SoftHSM v2", page.Find("#hsm-model").TextContent.Trim());
            Assert.Equal("CKM_AES_GCM", page.Find("#root-key-mechanism").TextContent.Trim());
        }
        finally
        {
            rootKey.Install(bytes, original);
        }
    }
}
