using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Projects;
using InfisicalKms.Core.Storage;
using InfisicalKms.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;

namespace InfisicalKms.Tests.Core.Keys;

/// <summary>Issue #13: the key list's totalCount comes from counts kept by triggers; an upgrade fills them in.</summary>
public sealed class ProjectKeyCountTests : IAsyncLifetime
{
    private readonly CoreTestHost _host = new();

    [Fact]
    [Trait("Category", "SqliteOnly")]   // an upgrade of an SQLite installation; PostgreSQL's migrations began with the counts
    public async Task UpgradeFromBeforeTheCounts_CountsTheKeysAlreadyThere()
    {
        // Arrange: keys in two projects, then the database taken back to before the counts existed
        Project other = await _host.CreateProjectAsync("Other");
        for (int i = 0; i < 3; i++)
        {
            await _host.CreateKeyAsync(_host.Project, $"before-{i}", KeyAlgorithm.Aes256Gcm);
        }

        await _host.CreateKeyAsync(other, "before-other", KeyAlgorithm.Aes256Gcm);
        await MigrateAsync("20261206210000_CacheStamps");

        // Act
        await MigrateAsync(null);

        // Assert
        Assert.Equal(3, await TotalAsync(_host.Project));
        Assert.Equal(1, await TotalAsync(other));
    }

    [Fact]
    public async Task KeysCreatedAndDeleted_MoveTheCountOfTheirOwnProjectOnly()
    {
        // Arrange
        Project other = await _host.CreateProjectAsync("Other");
        KmsKey first = await _host.CreateKeyAsync(_host.Project, "counted-1", KeyAlgorithm.Aes256Gcm);
        await _host.CreateKeyAsync(_host.Project, "counted-2", KeyAlgorithm.Aes256Gcm);
        await _host.CreateKeyAsync(other, "counted-other", KeyAlgorithm.Aes256Gcm);

        // Act
        await _host.Keys.DeleteAsync(_host.AdminActor, new KeyRef(first.Id, first.Id.ToString()), CancellationToken.None);

        // Assert
        Assert.Equal(1, await TotalAsync(_host.Project));
        Assert.Equal(1, await TotalAsync(other));
    }

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    private async Task<int> TotalAsync(Project project) =>
        (await _host.Keys.ListAsync(_host.AdminActor, new ListKeysRequest(project.Id.ToString(), 0, 1, false, null), CancellationToken.None)).TotalCount;

    private async Task MigrateAsync(string? target)
    {
        await using KmsDbContext db = await _host.Services.GetRequiredService<IDbContextFactory<KmsDbContext>>().CreateDbContextAsync();
        await db.GetService<IMigrator>().MigrateAsync(target);
    }
}
