using System.CommandLine;
using System.Data.Common;
using TokenOps.Cli.Commands;
using TokenOps.Gateway.Configuration;

namespace TokenOps.Cli;

/// <summary>The `tokenops` command tree. Parse errors and bad configuration end in one line on stderr and exit code 2; an
/// unusable database in one line and exit code 1.</summary>
public static class Cli
{
    public static async Task<int> RunAsync(string[] args)
    {
        // Ledger values are client input: no control sequence reaches the terminal through a table or a message.
        TerminalSafeWriter.Install();
        // Changes made from the command line are audited under the OS user, on this host.
        TokenOps.Core.Audit.AuditActor.ForProcess("cli:" + Environment.UserName, Environment.MachineName);
        var root = new RootCommand("TokenOps: meter, price and attribute every LLM token your organisation spends.")
        {
            ServeCommand.Create(),
            SimulatorCommand.Create(),
            KeysCommand.Create(),
            PeopleCommand.Create(),
            LedgerCommand.Create(),
            ExportCommand.Create(),
            BudgetsCommand.Create(),
            LimitsCommand.Create(),
            StatusCommand.Create(),
            DemoCommand.Create(),
            AlertsCommand.Create(),
            PokerCommand.Create(),
            ForecastCommand.Create(),
            OutcomesCommand.Create(),
            ImportCommand.Create(),
            ReportCommand.Create(),
            SavingsCommand.Create(),
            WasteCommand.Create(),
            MigrateCommand.Create(),
            RouteCommand.Create(),
            PricesCommand.Create(),
            AuditCommand.Create(),
            CredentialsCommand.Create(),
            RetentionCommand.Create(),
            WhatIfCommand.Create(),
        };
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // One line, whatever the parser's message layout (some list choices on several lines).
            var message = string.Join(' ', parse.Errors[0].Message.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            await Console.Error.WriteLineAsync($"tokenops: {message} (see 'tokenops --help')");
            return 2;
        }
        try
        {
            // ProcessTerminationTimeout = null: System.CommandLine would otherwise answer SIGTERM by exiting 143 after 2 s,
            // cutting in-flight streams; the host's own lifetime drains them (up to its 30 s shutdown timeout) and exits 0.
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
        }
        catch (ConfigurationException ex)
        {
            await Console.Error.WriteLineAsync($"tokenops: {ex.Message}");
            return 2;
        }
        catch (TokenOps.Core.Pricing.PriceCatalogException ex)
        {
            // A bad price override, or a stored catalog that cannot be read: one line, like any configuration problem.
            await Console.Error.WriteLineAsync($"tokenops: {ex.Message}");
            return 2;
        }
        catch (CliException ex)
        {
            await Console.Error.WriteLineAsync($"tokenops: {ex.Message}");
            return ex.ExitCode;
        }
        catch (IOException ex) when (ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
        {
            // Kestrel: "Failed to bind to address http://127.0.0.1:8080: address already in use." One line, not a trace.
            var match = System.Text.RegularExpressions.Regex.Match(ex.Message, @"address (\S+): address already in use");
            var address = match.Success ? match.Groups[1].Value : "the requested address";
            await Console.Error.WriteLineAsync($"tokenops: cannot listen on {address}: the address is already in use (another process holds the port; choose another with --urls)");
            return 2;
        }
        catch (DbException ex)
        {
            // A database that is down or refuses (PostgreSQL unreachable, wrong role): one line in the driver's words, which
            // name a host or a role but never a password, instead of a stack trace.
            var message = string.Join(' ', ex.Message.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            await Console.Error.WriteLineAsync($"tokenops: the ledger database could not be used: {message}");
            return 1;
        }
    }
}

/// <summary>A command's user-facing failure: one line, a chosen exit code.</summary>
public sealed class CliException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
