using TokenOps.Core.Budgets;
using TokenOps.Gateway.Configuration;
using TokenOps.Storage;

namespace TokenOps.Gateway.Budgets;

/// <summary>
/// The gateway's budget state: the <see cref="BudgetBook"/> of live counters, fed by tokenops.json plus the budgets
/// stored in SQLite. <see cref="RefreshIfChanged"/> swaps in a new policy set when the store's version moved (the CLI
/// or the admin API changed a budget, possibly from another process).
/// </summary>
public sealed class BudgetEngine : IBudgetSnapshots
{
    private readonly GatewayOptions _options;
    private readonly IBudgetStore _store;
    private readonly ILogger<BudgetEngine> _logger;
    private readonly object _reloadGate = new();

    public BudgetEngine(GatewayOptions options, IBudgetStore store, IEnumerable<IBudgetAllowance> allowances, TimeProvider time, ILogger<BudgetEngine> logger,
        ISharedBudgetCounters? shared = null)
    {
        _options = options;
        _store = store;
        _logger = logger;
        var extras = allowances.ToArray();
        // Allowances (a poker winner's bonus) apply to the token-poker hand, the one budget kind that has them.
        Book = new BudgetBook(store, (policy, periodStart) =>
            extras.Length == 0 || !policy.Id.StartsWith(BudgetPolicy.PokerPrefix, StringComparison.Ordinal)
                ? 0m
                : extras.Sum(a => a.ExtraFor(policy.Level, policy.Name, periodStart)));
        Book.UseClock(time.GetUtcNow);
        if (shared is not null)
        {
            Book.UseShared(shared, options.Redis?.OnFailure == RedisFailureModes.FailOpen, message => logger.LogWarning("{Message}", message));
            if (!LedgerIsShared)
                logger.LogWarning("redis with storage.kind \"{Kind}\": each replica's ledger holds only its own spend, so shared counters are seeded " +
                    "from this one's and not reconciled against it (use storage.kind postgres for a fleet)", options.Storage.Kind);
        }
        ReservationTtl = TimeSpan.FromMinutes(options.Budgets.ReservationTtlMinutes);
        Reload(store.Version());
    }

    public BudgetBook Book { get; }
    public BudgetPolicySet Policies => Book.Policies;
    public TimeSpan ReservationTtl { get; }
    public BudgetsOptions Options => _options.Budgets;

    /// <summary>
    /// True when every replica writes one ledger (PostgreSQL), so it may correct the shared counters. A SQLite ledger
    /// is one replica's share of the spend: reconciling against it would take the others' spend out of Redis.
    /// </summary>
    public bool LedgerIsShared => _options.Storage.Kind == StorageKinds.Postgres;

    public IReadOnlyList<BudgetSnapshot> Current() => Book.Current();

    /// <summary>
    /// Budgets edited in tokenops.json while the gateway runs: the new policy set replaces the old one (counters keep
    /// their spend, as with a stored change). The reservation TTL is fixed at start.
    /// </summary>
    public void ApplyConfig(BudgetsOptions next)
    {
        lock (_reloadGate)
        {
            var previous = _options.Budgets;
            _options.Budgets = next;
            try
            {
                Book.Apply(BudgetPolicyBuilder.Build(_options, _store.List(), _store.Version()));
            }
            catch (ConfigurationException ex)
            {
                _options.Budgets = previous;
                _logger.LogError("Budgets of tokenops.json not applied, keeping the running ones: {Message}", ex.Message);
            }
        }
    }

    /// <summary>One cheap read of the store's version; a reload only when it moved. Returns true if it reloaded.</summary>
    public bool RefreshIfChanged()
    {
        var version = _store.Version();
        if (version == Book.Policies.Version) return false;
        Reload(version);
        return true;
    }

    private void Reload(long version)
    {
        lock (_reloadGate)
        {
            try
            {
                Book.Apply(BudgetPolicyBuilder.Build(_options, _store.List(), version));
            }
            catch (ConfigurationException ex)
            {
                // A bad stored budget must not take enforcement down: keep the previous set and say why.
                _logger.LogError("Budgets not reloaded, keeping the previous ones: {Message}", ex.Message);
            }
        }
    }
}

/// <summary>Polls the budget store's version every second (so CLI changes apply within ~1 s) and sweeps expired reservations.
/// With shared counters it also renews the holds of requests still streaming, probes a Redis that fail-open left, and
/// reconciles the shared counters against the ledger every <see cref="ReconcileInterval"/> (drift logged and exported).</summary>
public sealed class BudgetRefresher(BudgetEngine engine, TimeProvider time, ILogger<BudgetRefresher> logger) : BackgroundService
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan ReconcileInterval = TimeSpan.FromSeconds(30);
    private DateTimeOffset _nextReconcile;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(PollInterval, time, stoppingToken);
                if (engine.RefreshIfChanged()) logger.LogInformation("Budgets reloaded (version {Version})", engine.Policies.Version);
                var expired = engine.Book.SweepExpired(time.GetUtcNow());
                if (expired > 0) logger.LogWarning("Expired {Count} budget reservations nobody settled", expired);
                if (engine.Book.HasSharedCounters) Maintain(time.GetUtcNow());
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning("Budget refresh failed, will retry: {Message}", ex.Message);
            }
        }
    }

    private void Maintain(DateTimeOffset now)
    {
        engine.Book.MaintainShared(now);
        if (!engine.LedgerIsShared || now < _nextReconcile) return;
        _nextReconcile = now + ReconcileInterval;
        try
        {
            foreach (var d in engine.Book.Reconcile(now).Where(d => d.DriftNanos != 0))
                logger.LogWarning("Budget {Budget}: shared counter differs from the ledger by {Drift} nano-USD{Corrected}", d.BudgetId, d.DriftNanos,
                    d.Corrected ? " (corrected)" : " (corrected if the next pass sees the same)");
        }
        catch (BudgetCountersUnavailableException ex)
        {
            logger.LogWarning("Budget reconciliation skipped: {Message}", ex.Message);
        }
    }
}
