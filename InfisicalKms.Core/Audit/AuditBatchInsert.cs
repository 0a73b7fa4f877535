using System.Data.Common;
using System.Globalization;
using InfisicalKms.Core.Storage;
using InfisicalKms.Core.Usage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace InfisicalKms.Core.Audit;

/// <summary>What one slice of a usage count did (<see cref="AuditBatchInsert.CountPending"/>).</summary>
/// <param name="RoundDone">The round is counted: this was its last slice, or nothing was pending.</param>
/// <param name="StartedRound">The slice began a round (or found nothing pending) rather than going on with one begun earlier.</param>
/// <param name="PendingLeft">Ranges committed during the round just finished wait for the next one.</param>
internal readonly record struct UsageSlice(bool RoundDone, bool StartedRound, bool PendingLeft);

/// <summary>
/// Appends a batch of records to their chains with four plain statements, prepared once per connection:
/// read a chain's head, link its records (<see cref="AuditChain.Link"/>), insert them, move the head.
/// </summary>
/// <remarks>
/// <para>
/// The same writes <c>SaveChanges</c> makes, without its update pipeline (change tracking, a command
/// batch built per call, a head query translated from LINQ), which was most of what auditing cost each
/// request. Table and column names, which columns the database generates, and the stored form of every
/// value (a <see cref="Guid"/> as upper-case text, a <see cref="DateTime"/> as EF's text, the metadata as
/// JSON through its converter) all come from the EF model and its type mappings, so a record written here
/// is the record EF would have written and reads back through EF unchanged.
/// </para>
/// <para>Synchronous: it runs on the writer's own thread, and SQLite's calls block in any case.</para>
/// </remarks>
internal sealed class AuditBatchInsert : IDisposable
{
    /// <summary>
    /// Keys per slice of a usage count: with requests spread over 10,000 keys, a slice of 1,000 keys held the write
    /// lock for 30 ms at the median (90 ms at most) where the whole count held it for about 270 ms
    /// (bench/README.md, "Usage counts in slices").
    /// </summary>
    public const int DefaultSliceKeys = 1000;

    private readonly Statement _insertRecord;
    private readonly Statement _readHead;
    private readonly Statement _insertHead;
    private readonly Statement _moveHead;
    private readonly DbCommand? _lockChain;   // PostgreSQL only
    private readonly DbConnection _connection;
    private readonly DbCommand _deferCounting;
    private readonly DbCommand _resumeCounting;
    private readonly DbCommand? _lastSequence;   // SQLite only, like the next two
    private readonly DbCommand? _markPending;
    private readonly DbCommand? _addGroup;
    private readonly DbCommand? _groupUntallied;
    private readonly DbCommand? _pendingRanges;
    private readonly DbCommand? _advanceRound;
    private readonly DbCommand? _finishRound;
    private readonly int _sliceKeys;
    private readonly KeyUsageTally? _tally;
    private readonly DbCommand[] _countPending = [];
    private readonly DbCommand[] _countBatch = [];   // PostgreSQL only
    private readonly Column _guidColumn;   // how a (nullable) ID is stored, for the tally's groups
    private readonly Column _timeColumn;   // how a time is stored

    /// <param name="db">The writer's context, its connection open.</param>
    /// <param name="sliceKeys">SQLite: how many keys one transaction of a count takes (<see cref="CountPending"/>).</param>
    public AuditBatchInsert(KmsDbContext db, int sliceKeys = DefaultSliceKeys)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sliceKeys, 1);
        _sliceKeys = sliceKeys;
        DbConnection connection = db.Database.GetDbConnection();
        _connection = connection;
        if (db.Database.IsPostgres())
        {
            _lockChain = connection.CreateCommand();
            _lockChain.CommandText = $"SELECT pg_advisory_xact_lock({(int)LockScope.AuditChain}, @chain)";
            DbParameter chain = _lockChain.CreateParameter();
            chain.ParameterName = "chain";
            chain.DbType = System.Data.DbType.Int32;
            _lockChain.Parameters.Add(chain);
        }

        var usage = new KeyUsageBatchCounts(db.Database.IsPostgres());
        CountsLater = usage.CountsLater;
        _deferCounting = Command(connection, usage.Defer);
        _resumeCounting = Command(connection, usage.Resume);
        if (CountsLater)
        {
            _lastSequence = Command(connection, KeyUsageBatchCounts.LastSequence);
            _markPending = Command(connection, KeyUsageBatchCounts.MarkPending);
            using (DbCommand groups = Command(connection, KeyUsageBatchCounts.CreateGroups))
            {
                groups.ExecuteNonQuery();
            }

            _countPending = [.. KeyUsageBatchCounts.CountPending.Select(text => Command(connection, text))];
            _addGroup = Command(connection, KeyUsageBatchCounts.AddGroup);
            _groupUntallied = Command(connection, KeyUsageBatchCounts.GroupUntallied);
            _pendingRanges = Command(connection, KeyUsageBatchCounts.PendingRanges);
            _advanceRound = Command(connection, KeyUsageBatchCounts.AdvanceRound);
            _finishRound = Command(connection, KeyUsageBatchCounts.FinishRound);
            _tally = new KeyUsageTally();
        }
        else
        {
            _countBatch = [.. KeyUsageBatchCounts.CountBatch.Select(text => Command(connection, text))];
        }

        ISqlGenerationHelper sql = db.GetService<ISqlGenerationHelper>();

        IEntityType recordType = db.Model.FindEntityType(typeof(AuditEvent))!;
        Column[] recordColumns = Column.Of(recordType, sql);
        _insertRecord = Statement.Insert(connection, sql, recordType, recordColumns);
        (_guidColumn, _timeColumn) = (Column.Named(recordColumns, nameof(AuditEvent.ProjectId)), Column.Named(recordColumns, nameof(AuditEvent.CreatedAt)));

        IEntityType headType = db.Model.FindEntityType(typeof(AuditChainHead))!;
        Column[] headColumns = Column.Of(headType, sql);
        Column chainId = Column.Named(headColumns, nameof(AuditChainHead.ChainId));
        Column lastIndex = Column.Named(headColumns, nameof(AuditChainHead.LastIndex));
        Column lastHash = Column.Named(headColumns, nameof(AuditChainHead.LastHash));
        string heads = sql.DelimitIdentifier(headType.GetTableName()!);
        _insertHead = Statement.Insert(connection, sql, headType, headColumns);
        _readHead = new Statement(connection,
            $"SELECT {lastIndex.Name}, {lastHash.Name} FROM {heads} WHERE {chainId.Name} = {chainId.Parameter}", [chainId]);
        _moveHead = new Statement(connection,
            $"UPDATE {heads} SET {lastIndex.Name} = {lastIndex.Parameter}, {lastHash.Name} = {lastHash.Parameter} WHERE {chainId.Name} = {chainId.Parameter}",
            [lastIndex, lastHash, chainId]);
    }

    /// <summary>
    /// Whether <see cref="Write"/> leaves the batch's key usage to be counted later, by <see cref="CountPending"/>
    /// (SQLite), rather than counting it in the batch's transaction (PostgreSQL). See <see cref="KeyUsageBatchCounts"/>.
    /// </summary>
    public bool CountsLater { get; }

    /// <summary>
    /// Links <paramref name="records"/> onto their chains and inserts them, inside <paramref name="transaction"/>.
    /// Each chain's head is read under its lock, so it is the newest: SQLite's write lock, which the transaction
    /// holds from its start (<c>BEGIN IMMEDIATE</c>), or PostgreSQL's advisory lock on the chain, taken here
    /// in one order (<see cref="KmsDatabase.LockAsync"/>) so that two batches never wait for each other in a circle.
    /// </summary>
    /// <remarks>
    /// <para>
    /// On PostgreSQL the heads' moves and the records go to the server as one batch, one round trip instead of
    /// one per record: the writer holds the chain's lock until it commits, and on a busy machine every round
    /// trip waits for the server process to be scheduled (bench/README.md, "PostgreSQL"). SQLite runs in
    /// process and has no batches to offer, so it runs the statements one by one.
    /// </para>
    /// <para>
    /// The per-record usage trigger is off for this transaction alone. PostgreSQL's batch is counted here, one
    /// statement per count table; SQLite's is left pending (<see cref="KeyUsageBatchCounts"/>).
    /// </para>
    /// </remarks>
    /// <returns>Whether the batch left key usage to count later (<see cref="CountPending"/>).</returns>
    public bool Write(IReadOnlyList<AuditEvent> records, DbTransaction transaction)
    {
        using DbBatch? batch = _lockChain is not null ? _connection.CreateBatch() : null;
        bool countsUsage = records.Any(r => r.KeyId is not null && r.ProjectId is not null && KeyUsageOperations.OfEventType(r.EventType) is not null);
        long lastSequence = 0;
        if (countsUsage)
        {
            if (_lastSequence is not null)
            {
                _lastSequence.Transaction = transaction;
                lastSequence = Convert.ToInt64(_lastSequence.ExecuteScalar(), CultureInfo.InvariantCulture);
            }

            Run(_deferCounting, transaction, batch);
        }

        foreach (IGrouping<Guid, AuditEvent> chain in records.GroupBy(r => r.ChainId).OrderBy(c => KmsDatabase.LockKey(c.Key)))
        {
            if (_lockChain is not null)
            {
                _lockChain.Transaction = transaction;
                _lockChain.Parameters[0].Value = KmsDatabase.LockKey(chain.Key);
                _lockChain.ExecuteNonQuery();
            }

            AuditChainHead? stored = ReadHead(chain.Key, transaction);
            AuditChainHead head = stored ?? new AuditChainHead { ChainId = chain.Key };
            AuditChain.Link(head, chain);
            (stored is null ? _insertHead : _moveHead).Execute(head, transaction, batch);
        }

        foreach (AuditEvent record in records)
        {
            _insertRecord.Execute(record, transaction, batch);
        }

        if (countsUsage)
        {
            foreach (DbCommand count in _countBatch)
            {
                count.Parameters.Clear();
                count.Parameters.Add(KeyUsageBatchCounts.Batch(count, records.Select(r => r.Id)));
                Run(count, transaction, batch);
            }

            Run(_resumeCounting, transaction, batch);
            if (_markPending is not null)
            {
                _markPending.Parameters.Clear();
                DbParameter after = _markPending.CreateParameter();
                (after.ParameterName, after.Value) = ("after", lastSequence);
                _markPending.Parameters.Add(after);
                Run(_markPending, transaction, batch);
                _tally?.Stage(lastSequence, records);
            }
        }

        if (batch is not null)
        {
            batch.Transaction = transaction;
            batch.ExecuteNonQuery();
        }

        return countsUsage && CountsLater;
    }

    /// <summary>The transaction of the last <see cref="Write"/> committed (true) or did not: the batch's usage joins the tally, or not.</summary>
    public void Finished(bool committed)
    {
        if (committed)
        {
            _tally?.Committed();
        }
        else
        {
            _tally?.Discard();
        }
    }

    /// <summary>
    /// SQLite: counts one slice of the round of pending usage, inside <paramref name="transaction"/>: the next
    /// <see cref="_sliceKeys"/> keys of the batches this writer tallied, and the same keys of any batch it did not
    /// (from the records), or, as the round's last slice, every key left. A round is every range pending when its
    /// first slice ran; one left unfinished (this writer's, or a crashed one's) is finished before another starts.
    /// The tally lets go of a round's ranges at the next slice, once they are no longer pending.
    /// </summary>
    public UsageSlice CountPending(DbTransaction transaction)
    {
        var pending = new List<(long After, string? Through)>();
        _pendingRanges!.Transaction = transaction;
        using (DbDataReader reader = _pendingRanges.ExecuteReader())
        {
            while (reader.Read())
            {
                pending.Add((reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
            }
        }

        _tally!.Forget(pending.Select(p => p.After).ToHashSet());
        if (pending.Count == 0)
        {
            return new UsageSlice(RoundDone: true, StartedRound: true, PendingLeft: false);
        }

        // Every range of an unfinished round has counted through the same key: its slices move them together.
        (long After, string? Through)[] unfinished = [.. pending.Where(p => p.Through is not null)];
        bool started = unfinished.Length == 0;
        long last = started ? pending.Max(p => p.After) : unfinished.Max(p => p.After);
        string from = started ? "" : unfinished[0].Through!;
        KeyUsageTally.RoundGroups round = _tally.Round(last, [.. pending.Where(p => p.After <= last).Select(p => p.After)]);

        (int first, int end, string? to) = Slice(round.Groups, from);
        _addGroup!.Transaction = transaction;
        for (int i = first; i < end; i++)
        {
            AddGroup(round.Groups[i]);
        }

        _groupUntallied!.Parameters.Clear();
        _groupUntallied.Parameters.Add(Value(_groupUntallied, "@tallied", round.Tallied));
        _groupUntallied.Parameters.Add(Value(_groupUntallied, "@last", last));
        _groupUntallied.Parameters.Add(Value(_groupUntallied, "@from", from));
        _groupUntallied.Parameters.Add(Value(_groupUntallied, "@to", (object?)to ?? DBNull.Value));
        Run(_groupUntallied, transaction, batch: null);
        foreach (DbCommand count in _countPending)
        {
            Run(count, transaction, batch: null);
        }

        DbCommand progress = to is null ? _finishRound! : _advanceRound!;
        progress.Parameters.Clear();
        progress.Parameters.Add(Value(progress, "@last", last));
        if (to is not null)
        {
            progress.Parameters.Add(Value(progress, "@to", to));
        }

        Run(progress, transaction, batch: null);
        return new UsageSlice(RoundDone: to is null, started, PendingLeft: to is null && pending.Any(p => p.After > last));
    }

    /// <summary>
    /// The groups of the round's slice after <paramref name="from"/>: the next <see cref="_sliceKeys"/> keys, up to and
    /// including <c>to</c>; or, with a null <c>to</c>, every key left.
    /// </summary>
    private (int First, int End, string? To) Slice(KeyUsageTally.RoundGroup[] groups, string from)
    {
        int first = 0;
        while (first < groups.Length && string.CompareOrdinal(groups[first].StoredKey, from) <= 0)
        {
            first++;
        }

        int end = first, keys = 0;
        while (end < groups.Length)
        {
            if (end == first || groups[end].StoredKey != groups[end - 1].StoredKey)
            {
                if (keys == _sliceKeys)
                {
                    return (first, end, groups[end - 1].StoredKey);
                }

                keys++;
            }

            end++;
        }

        return (first, end, null);
    }

    private void AddGroup(KeyUsageTally.RoundGroup group)
    {
        (KeyUsageTally.GroupKey key, KeyUsageTally.Group sum) = (group.Key, group.Group);
        DbParameterCollection parameters = _addGroup!.Parameters;
        parameters.Clear();
        parameters.Add(_guidColumn.Mapping.CreateParameter(_addGroup, "@KeyId", key.KeyId, nullable: false));
        parameters.Add(Value(_addGroup, "@HourStart", key.HourStart));
        parameters.Add(Value(_addGroup, "@EventType", key.EventType));
        parameters.Add(Value(_addGroup, "@Outcome", key.Outcome));
        parameters.Add(Value(_addGroup, "@Error", key.Error));
        parameters.Add(Value(_addGroup, "@ActorType", key.ActorType));
        parameters.Add(Value(_addGroup, "@ActorKey", key.ActorKey));
        parameters.Add(_guidColumn.Mapping.CreateParameter(_addGroup, "@ProjectId", sum.ProjectId, nullable: false));
        parameters.Add(_guidColumn.Mapping.CreateParameter(_addGroup, "@ActorId", sum.ActorId, nullable: true));
        parameters.Add(Value(_addGroup, "@ActorName", sum.ActorName));
        parameters.Add(Value(_addGroup, "@Count", sum.Count));
        parameters.Add(_timeColumn.Mapping.CreateParameter(_addGroup, "@LastAt", sum.LastAt, nullable: false));
        _addGroup.ExecuteNonQuery();
    }

    /// <summary>Groups the usage of the batches committed since the last call into the tally, off the callers' wait.</summary>
    public void TallyCommitted() => _tally?.GroupCommitted();

    private static DbParameter Value(DbCommand command, string name, object value)
    {
        DbParameter parameter = command.CreateParameter();
        (parameter.ParameterName, parameter.Value) = (name, value);
        return parameter;
    }

    public void Dispose()
    {
        _lastSequence?.Dispose();
        _markPending?.Dispose();
        _addGroup?.Dispose();
        _groupUntallied?.Dispose();
        _pendingRanges?.Dispose();
        _advanceRound?.Dispose();
        _finishRound?.Dispose();
        _deferCounting.Dispose();
        foreach (DbCommand count in _countPending.Concat(_countBatch))
        {
            count.Dispose();
        }

        _resumeCounting.Dispose();
        _insertRecord.Dispose();
        _readHead.Dispose();
        _insertHead.Dispose();
        _moveHead.Dispose();
        _lockChain?.Dispose();
    }

    /// <summary>Runs <paramref name="command"/> now, or adds a copy of it (text and parameters) to <paramref name="batch"/>.</summary>
    private static void Run(DbCommand command, DbTransaction transaction, DbBatch? batch)
    {
        if (batch is null)
        {
            command.Transaction = transaction;
            command.ExecuteNonQuery();
            return;
        }

        DbBatchCommand copy = batch.CreateBatchCommand();
        copy.CommandText = command.CommandText;
        foreach (DbParameter parameter in command.Parameters)
        {
            DbParameter moved = command.CreateParameter();
            (moved.ParameterName, moved.Value) = (parameter.ParameterName, parameter.Value);
            copy.Parameters.Add(moved);
        }

        batch.BatchCommands.Add(copy);
    }

    private static DbCommand Command(DbConnection connection, string text)
    {
        DbCommand command = connection.CreateCommand();
        command.CommandText = text;
        return command;
    }

    /// <summary>The stored head's newest link (all that linking needs), or null for a chain with no records yet.</summary>
    private AuditChainHead? ReadHead(Guid chainId, DbTransaction transaction)
    {
        using DbDataReader reader = _readHead.Query(new AuditChainHead { ChainId = chainId }, transaction);
        return reader.Read()
            ? new AuditChainHead { ChainId = chainId, LastIndex = reader.GetInt64(0), LastHash = reader.GetString(1) }
            : null;
    }

    /// <summary>One mapped property: its quoted column, its parameter, and how EF stores its value.</summary>
    private sealed record Column(string Property, string Name, string Parameter, IClrPropertyGetter Getter, RelationalTypeMapping Mapping, bool Nullable)
    {
        /// <summary>Every column the application writes: a key the database generates (the record's sequence) is left out.</summary>
        public static Column[] Of(IEntityType type, ISqlGenerationHelper sql) =>
        [
            .. type.GetProperties().Where(p => !(p.IsPrimaryKey() && p.ValueGenerated == ValueGenerated.OnAdd)).Select(p => new Column(
                p.Name, sql.DelimitIdentifier(p.GetColumnName()), sql.GenerateParameterName(p.Name),
                p.GetGetter(), p.GetRelationalTypeMapping(), p.IsNullable)),
        ];

        public static Column Named(Column[] columns, string property) => columns.Single(c => c.Property == property);

        /// <summary>A parameter holding <paramref name="entity"/>'s value in its stored form (the mapping applies any converter).</summary>
        public DbParameter Bind(DbCommand command, object entity) =>
            Mapping.CreateParameter(command, Parameter, Getter.GetClrValue(entity), Nullable);
    }

    /// <summary>A command prepared once, run with the parameters of one entity at a time.</summary>
    private sealed class Statement(DbConnection connection, string text, Column[] columns) : IDisposable
    {
        private readonly DbCommand _command = Create(connection, text);

        public static Statement Insert(DbConnection connection, ISqlGenerationHelper sql, IEntityType type, Column[] columns) => new(connection,
            $"INSERT INTO {sql.DelimitIdentifier(type.GetTableName()!)} ({string.Join(", ", columns.Select(c => c.Name))}) " +
            $"VALUES ({string.Join(", ", columns.Select(c => c.Parameter))})",
            columns);

        /// <summary>Runs the statement for <paramref name="entity"/> now, or adds it to <paramref name="batch"/> to run with it.</summary>
        public void Execute(object entity, DbTransaction transaction, DbBatch? batch = null)
        {
            if (batch is null)
            {
                Bind(entity, transaction);
                _command.ExecuteNonQuery();
                return;
            }

            DbBatchCommand command = batch.CreateBatchCommand();
            command.CommandText = text;
            foreach (Column column in columns)
            {
                command.Parameters.Add(column.Bind(_command, entity));   // made by the command, which only configures it
            }

            batch.BatchCommands.Add(command);
        }

        public DbDataReader Query(object entity, DbTransaction transaction)
        {
            Bind(entity, transaction);
            return _command.ExecuteReader();
        }

        public void Dispose() => _command.Dispose();

        private static DbCommand Create(DbConnection connection, string text)
        {
            DbCommand command = connection.CreateCommand();
            command.CommandText = text;
            return command;
        }

        private void Bind(object entity, DbTransaction transaction)
        {
            _command.Transaction = transaction;
            _command.Parameters.Clear();
            foreach (Column column in columns)
            {
                _command.Parameters.Add(column.Bind(_command, entity));
            }
        }
    }
}
