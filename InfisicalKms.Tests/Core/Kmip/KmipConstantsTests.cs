using InfisicalKms.Core.Kmip;

namespace InfisicalKms.Tests.Core.Kmip;

/// <summary>Spot checks of the constants against the KMIP 1.x tables, and the shape of the generated enums.</summary>
public sealed class KmipConstantsTests
{
    [Theory]
    [InlineData(KmipTag.ActivationDate, 0x420001)]
    [InlineData(KmipTag.BatchItem, 0x42000F)]
    [InlineData(KmipTag.KeyMaterial, 0x420043)]
    [InlineData(KmipTag.Operation, 0x42005C)]
    [InlineData(KmipTag.RequestMessage, 0x420078)]
    [InlineData(KmipTag.ResponseMessage, 0x42007B)]
    [InlineData(KmipTag.UniqueIdentifier, 0x420094)]
    [InlineData(KmipTag.X509CertificateIdentifier, 0x4200B5)]
    [InlineData(KmipTag.IvCounterNonce, 0x42003D)]
    [InlineData(KmipTag.MacData, 0x4200C6)]
    [InlineData(KmipTag.AttestationCapableIndicator, 0x4200D3)]
    [InlineData(KmipTag.CapabilityInformation, 0x4200F7)]
    [InlineData(KmipTag.AuthenticatedEncryptionTag, 0x4200FF)]
    [InlineData(KmipTag.ReplaceExisting, 0x420124)]
    public void KmipTag_HasTheSpecValue(KmipTag tag, int value) => Assert.Equal(value, (int)tag);

    [Fact]
    public void KmipTag_CoversKmip14WithoutGapsAliasesOr20Tags()
    {
        int[] values = [.. Enum.GetValues<KmipTag>().Select(t => (int)t)];

        Assert.Equal(Enumerable.Range(0x420001, 0x124), values.Order());
    }

    [Theory]
    [InlineData(KmipResultReason.ItemNotFound, 0x01)]
    [InlineData(KmipResultReason.InvalidMessage, 0x04)]
    [InlineData(KmipResultReason.OperationNotSupported, 0x05)]
    [InlineData(KmipResultReason.Sensitive, 0x16)]
    [InlineData(KmipResultReason.NotExtractable, 0x17)]
    [InlineData(KmipResultReason.ObjectAlreadyExists, 0x18)]
    [InlineData(KmipResultReason.GeneralFailure, 0x100)]
    public void KmipResultReason_HasTheSpecValue(KmipResultReason reason, uint value) => Assert.Equal(value, (uint)reason);

    [Fact]
    public void Enumerations_HaveTheSpecValuesTheServerNeeds()
    {
        Assert.Equal(0x2Bu, (uint)KmipOperation.Export);
        Assert.Equal(0x1Eu, (uint)KmipOperation.DiscoverVersions);
        Assert.Equal(0x09u, (uint)KmipObjectType.PgpKey);
        Assert.Equal(0x03u, (uint)KmipCryptographicAlgorithm.Aes);
        Assert.Equal(0x28u, (uint)KmipCryptographicAlgorithm.Shake256);
        Assert.Equal(0x12u, (uint)KmipBlockCipherMode.Aead);
        Assert.Equal(0x0Du, (uint)KmipHashingAlgorithm.Sha512_256);
        Assert.Equal(0x16u, (uint)KmipKeyFormatType.Pkcs12);
        Assert.Equal(0x0Du, (uint)KmipRecommendedCurve.P521);
        Assert.Equal(0x10Du, (uint)KmipLinkType.Pkcs12PasswordLink);
        Assert.Equal(0x06u, (uint)KmipState.DestroyedCompromised);
        Assert.Equal(0x0Cu, (uint)KmipQueryFunction.QueryClientRegistrationMethods);
        Assert.Equal(0x00080000u, (uint)KmipCryptographicUsageMask.TranslateUnwrap);
        Assert.Equal(0x3u, (uint)KmipBatchErrorContinuationOption.Undo);
    }

    [Fact]
    public void Enumerations_StopAtKmip14()
    {
        Assert.False(Enum.IsDefined((KmipOperation)0x2C));          // Log, KMIP 2.0
        Assert.False(Enum.IsDefined((KmipObjectType)0x0A));         // Certificate Request, KMIP 2.0
        Assert.False(Enum.IsDefined((KmipResultReason)0x19));       // Invalid Ticket, KMIP 2.0
        Assert.False(Enum.IsDefined((KmipCryptographicAlgorithm)0x29));
        Assert.False(Enum.IsDefined((KmipLinkType)0x10E));
        Assert.False(Enum.IsDefined((KmipCryptographicUsageMask)0x00100000));
    }

    [Fact]
    public void KmipAttributeNames_AreDistinctAndSpelledAsInTheSpec()
    {
        Assert.Equal(KmipAttributeNames.Standard.Count, KmipAttributeNames.Standard.Distinct().Count());
        Assert.Equal(50, KmipAttributeNames.Standard.Count);
        Assert.Contains("X.509 Certificate Identifier", KmipAttributeNames.Standard);
        Assert.Contains("PKCS#12 Friendly Name", KmipAttributeNames.Standard);
        Assert.Equal("Cryptographic Usage Mask", KmipAttributeNames.CryptographicUsageMask);
        Assert.True(KmipAttributeNames.IsCustom("x-Department"));
        Assert.False(KmipAttributeNames.IsCustom("Name"));
    }
}
