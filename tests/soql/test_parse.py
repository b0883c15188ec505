"""Conformance table for the SOQL parser: tree shapes of valid queries, and the row
and column Salesforce would report for invalid ones."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from sfmagic.soql import SoqlSyntaxError, ast, parse
from tests.soql.shapes import show

# (query, part of the Query to look at, expected rendering by shapes.show).
# "query" renders the whole tree as canonical SOQL.
VALID = [
    # SELECT lists and paths
    ("SELECT Id FROM Account", "query", "SELECT Id FROM Account"),
    ("select id, name from account", "query", "SELECT id, name FROM account"),
    ("SeLeCt Id FrOm Contact", "sobject", "Contact"),
    ("SELECT Id,Name,Type FROM Account", "select", "Id, Name, Type"),
    ("SELECT Owner.Name FROM Account", "select", "Owner.Name"),
    ("SELECT Account.Owner.Name FROM Contact", "select", "Account.Owner.Name"),
    (
        "SELECT Account.Owner.Profile.CreatedBy.Manager.Name FROM Contact",
        "select",
        "Account.Owner.Profile.CreatedBy.Manager.Name",
    ),
    ("SELECT A.B.C.D.E.F.G FROM X", "select", "A.B.C.D.E.F.G"),
    ("SELECT Foo__r.Bar__c FROM Baz__c", "select", "Foo__r.Bar__c"),
    ("SELECT ns__Field__c FROM ns__Obj__c", "select", "ns__Field__c"),
    ("SELECT Id FROM Account a", "alias", "a"),
    ("SELECT a.Name FROM Account a WHERE a.Type = 'x'", "select", "a.Name"),
    ("SELECT Id FROM Order", "sobject", "Order"),
    ("SELECT Id FROM Group WHERE Type = 'Queue'", "where", "(= Type 'Queue')"),
    ("SELECT Group.Name FROM GroupMember", "select", "Group.Name"),
    ("SELECT Type, Status, Name, Date FROM Case", "select", "Type, Status, Name, Date"),
    ("SELECT Order.Name FROM OrderItem", "select", "Order.Name"),
    (
        "SELECT Data, Category, Scope, View FROM X",
        "select",
        "Data, Category, Scope, View",
    ),
    ("SELECT Rollup, Cube, Tracking FROM X", "select", "Rollup, Cube, Tracking"),
    ("SELECT Id FROM Account Order BY Name", "order_by", "Name ASC"),
    ("SELECT Id FROM Group ORDER BY Type", "order_by", "Type ASC"),
    # functions and aliases
    ("SELECT COUNT() FROM Account", "select", "COUNT()"),
    ("SELECT count() FROM Contact WHERE Email != null", "select", "COUNT()"),
    ("SELECT COUNT(Id) FROM Account", "select", "COUNT(Id)"),
    ("SELECT COUNT(Id) total FROM Account", "select", "COUNT(Id) total"),
    ("SELECT count_distinct(Name) n FROM Lead", "select", "COUNT_DISTINCT(Name) n"),
    (
        "SELECT SUM(Amount) s, AVG(Amount) a, MIN(Amount), MAX(Amount) "
        "FROM Opportunity",
        "select",
        "SUM(Amount) s, AVG(Amount) a, MIN(Amount), MAX(Amount)",
    ),
    (
        "SELECT StageName, AVG(Amount) Average FROM Opportunity GROUP BY StageName",
        "select",
        "StageName, AVG(Amount) Average",
    ),
    (
        "SELECT CALENDAR_YEAR(CreatedDate) y, COUNT(Id) FROM Case "
        "GROUP BY CALENDAR_YEAR(CreatedDate)",
        "group_by",
        "PLAIN(CALENDAR_YEAR(CreatedDate))",
    ),
    (
        "SELECT CALENDAR_MONTH(CloseDate), CALENDAR_QUARTER(CloseDate) "
        "FROM Opportunity",
        "select",
        "CALENDAR_MONTH(CloseDate), CALENDAR_QUARTER(CloseDate)",
    ),
    (
        "SELECT DAY_IN_MONTH(d), DAY_IN_WEEK(d), DAY_IN_YEAR(d), DAY_ONLY(d) FROM X",
        "select",
        "DAY_IN_MONTH(d), DAY_IN_WEEK(d), DAY_IN_YEAR(d), DAY_ONLY(d)",
    ),
    (
        "SELECT FISCAL_MONTH(d), FISCAL_QUARTER(d), FISCAL_YEAR(d) FROM X",
        "select",
        "FISCAL_MONTH(d), FISCAL_QUARTER(d), FISCAL_YEAR(d)",
    ),
    (
        "SELECT HOUR_IN_DAY(d), WEEK_IN_MONTH(d), WEEK_IN_YEAR(d) FROM X",
        "select",
        "HOUR_IN_DAY(d), WEEK_IN_MONTH(d), WEEK_IN_YEAR(d)",
    ),
    (
        "SELECT HOUR_IN_DAY(convertTimezone(CreatedDate)), SUM(Amount) "
        "FROM Opportunity "
        "GROUP BY HOUR_IN_DAY(convertTimezone(CreatedDate))",
        "select",
        "HOUR_IN_DAY(CONVERTTIMEZONE(CreatedDate)), SUM(Amount)",
    ),
    ("SELECT toLabel(Status) FROM Case", "select", "TOLABEL(Status)"),
    ("SELECT toLabel(Status) s FROM Case", "select", "TOLABEL(Status) s"),
    ("SELECT FORMAT(Amount) amt FROM Opportunity", "select", "FORMAT(Amount) amt"),
    (
        "SELECT FORMAT(MIN(CloseDate)) FROM Opportunity",
        "select",
        "FORMAT(MIN(CloseDate))",
    ),
    (
        "SELECT convertCurrency(Amount) FROM Opportunity",
        "select",
        "CONVERTCURRENCY(Amount)",
    ),
    (
        "SELECT Name, DISTANCE(Loc__c, GEOLOCATION(37.775, -122.418), 'mi') d "
        "FROM W__c",
        "select",
        "Name, DISTANCE(Loc__c, GEOLOCATION(Decimal('37.775'), "
        "Decimal('-122.418')), 'mi') d",
    ),
    (
        "SELECT Id FROM W__c WHERE DISTANCE(Loc__c, GEOLOCATION(1, 2), 'km') < 20",
        "where",
        "(< DISTANCE(Loc__c, GEOLOCATION(1, 2), 'km') 20)",
    ),
    (
        "SELECT Id FROM W__c ORDER BY DISTANCE(Loc__c, GEOLOCATION(1, 2), 'KM') "
        "LIMIT 5",
        "order_by",
        "DISTANCE(Loc__c, GEOLOCATION(1, 2), 'KM') ASC",
    ),
    (
        "SELECT Type, GROUPING(Type) g, COUNT(Id) FROM Account GROUP BY ROLLUP(Type)",
        "select",
        "Type, GROUPING(Type) g, COUNT(Id)",
    ),
    ("SELECT FIELDS(ALL) FROM Account LIMIT 200", "select", "FIELDS(ALL)"),
    ("SELECT FIELDS(standard) FROM Account", "select", "FIELDS(STANDARD)"),
    ("SELECT Id, FIELDS(Custom) FROM Account LIMIT 1", "select", "Id, FIELDS(CUSTOM)"),
    ("SELECT Count FROM X", "select", "Count"),
    ("SELECT Fields FROM X", "select", "Fields"),
    # child subqueries
    (
        "SELECT Id, (SELECT Id, LastName FROM Contacts) FROM Account",
        "select",
        "Id, (SELECT Id, LastName FROM Contacts)",
    ),
    (
        "SELECT Name, (SELECT LastName FROM Contacts WHERE Email != null "
        "ORDER BY LastName DESC LIMIT 3) FROM Account",
        "select",
        "Name, (SELECT LastName FROM Contacts WHERE (!= Email None) "
        "ORDER BY LastName DESC LIMIT 3)",
    ),
    (
        "SELECT Id, (SELECT Id FROM Contacts), (SELECT Id FROM Cases) FROM Account",
        "select",
        "Id, (SELECT Id FROM Contacts), (SELECT Id FROM Cases)",
    ),
    (
        "SELECT Id, (SELECT Id, (SELECT Id FROM Cases) FROM Contacts) FROM Account",
        "select",
        "Id, (SELECT Id, (SELECT Id FROM Cases) FROM Contacts)",
    ),
    (
        "SELECT Id, (SELECT Subject FROM OpenActivities) FROM Contact",
        "select",
        "Id, (SELECT Subject FROM OpenActivities)",
    ),
    # TYPEOF
    (
        "SELECT TYPEOF What WHEN Account THEN Name, Phone "
        "WHEN Opportunity THEN Amount ELSE Name END FROM Event",
        "select",
        "TYPEOF What WHEN Account THEN Name, Phone WHEN Opportunity THEN Amount "
        "ELSE Name END",
    ),
    (
        "SELECT Id, typeof Owner when User then Username end FROM Case",
        "select",
        "Id, TYPEOF Owner WHEN User THEN Username END",
    ),
    (
        "SELECT TYPEOF Who WHEN Contact THEN Account.Name, Email END, Subject "
        "FROM Task",
        "select",
        "TYPEOF Who WHEN Contact THEN Account.Name, Email END, Subject",
    ),
    # WHERE: comparisons
    ("SELECT Id FROM Account WHERE Name = 'Acme'", "where", "(= Name 'Acme')"),
    ("SELECT Id FROM Account WHERE Name != 'Acme'", "where", "(!= Name 'Acme')"),
    ("SELECT Id FROM Account WHERE Name <> 'Acme'", "where", "(!= Name 'Acme')"),
    ("SELECT Id FROM Account WHERE Amount < 5", "where", "(< Amount 5)"),
    ("SELECT Id FROM Account WHERE Amount <= 5", "where", "(<= Amount 5)"),
    ("SELECT Id FROM Account WHERE Amount > 5", "where", "(> Amount 5)"),
    ("SELECT Id FROM Account WHERE Amount >= 5", "where", "(>= Amount 5)"),
    ("SELECT Id FROM Account WHERE Amount>=-5", "where", "(>= Amount -5)"),
    (
        "SELECT Id FROM Account WHERE Amount<-5.25",
        "where",
        "(< Amount Decimal('-5.25'))",
    ),
    ("SELECT Id FROM Account WHERE Amount > +5", "where", "(> Amount 5)"),
    ("SELECT Id FROM Account WHERE Amount > .5", "where", "(> Amount Decimal('0.5'))"),
    ("SELECT Id FROM Account WHERE Amount > 5.", "where", "(> Amount Decimal('5'))"),
    ("SELECT Id FROM Account WHERE Name='x'", "where", "(= Name 'x')"),
    ("SELECT Id FROM Account WHERE Name = null", "where", "(= Name None)"),
    ("SELECT Id FROM Account WHERE Name = NULL", "where", "(= Name None)"),
    ("SELECT Id FROM Account WHERE IsDeleted = TRUE", "where", "(= IsDeleted True)"),
    ("SELECT Id FROM Account WHERE IsDeleted = false", "where", "(= IsDeleted False)"),
    ("SELECT Id FROM Account WHERE Owner.Name = 'x'", "where", "(= Owner.Name 'x')"),
    ("SELECT Id FROM Account WHERE Type = 'x'", "where", "(= Type 'x')"),
    ("SELECT Id FROM Account WHERE First__c = 1", "where", "(= First__c 1)"),
    (
        "SELECT Id FROM Opportunity WHERE Amount > USD5000",
        "where",
        "(> Amount USD:Decimal('5000'))",
    ),
    (
        "SELECT Id FROM Opportunity WHERE Amount < eur1500.50",
        "where",
        "(< Amount EUR:Decimal('1500.50'))",
    ),
    (
        "SELECT Id FROM Opportunity WHERE CloseDate = 2024-01-15",
        "where",
        "(= CloseDate datetime.date(2024, 1, 15))",
    ),
    (
        "SELECT Id FROM Case WHERE CreatedDate > 2024-01-15T10:30:00Z",
        "where",
        "(> CreatedDate datetime.datetime(2024, 1, 15, 10, 30, "
        "tzinfo=datetime.timezone.utc))",
    ),
    (
        "SELECT Id FROM Case WHERE CALENDAR_YEAR(CreatedDate) = 2024",
        "where",
        "(= CALENDAR_YEAR(CreatedDate) 2024)",
    ),
    (
        "SELECT Id FROM Case WHERE toLabel(Status) = 'Neu'",
        "where",
        "(= TOLABEL(Status) 'Neu')",
    ),
    # WHERE: date literals
    ("SELECT Id FROM Case WHERE CreatedDate = TODAY", "where", "(= CreatedDate TODAY)"),
    ("SELECT Id FROM Case WHERE CreatedDate = today", "where", "(= CreatedDate TODAY)"),
    (
        "SELECT Id FROM Case WHERE CreatedDate < YESTERDAY",
        "where",
        "(< CreatedDate YESTERDAY)",
    ),
    (
        "SELECT Id FROM Case WHERE CloseDate > TOMORROW",
        "where",
        "(> CloseDate TOMORROW)",
    ),
    (
        "SELECT Id FROM Case WHERE CreatedDate = LAST_N_DAYS:30",
        "where",
        "(= CreatedDate LAST_N_DAYS:30)",
    ),
    (
        "SELECT Id FROM Case WHERE CreatedDate = next_n_fiscal_quarters:2",
        "where",
        "(= CreatedDate NEXT_N_FISCAL_QUARTERS:2)",
    ),
    (
        "SELECT Id FROM Case WHERE CreatedDate = LAST_90_DAYS",
        "where",
        "(= CreatedDate LAST_90_DAYS)",
    ),
    (
        "SELECT Id FROM Case WHERE CreatedDate = N_DAYS_AGO:0",
        "where",
        "(= CreatedDate N_DAYS_AGO:0)",
    ),
    (
        "SELECT Id FROM Case WHERE CreatedDate IN (TODAY, LAST_WEEK)",
        "where",
        "(IN CreatedDate [TODAY, LAST_WEEK])",
    ),
    # WHERE: LIKE, IN, INCLUDES
    ("SELECT Id FROM Account WHERE Name LIKE 'Ac%'", "where", "(LIKE Name 'Ac%')"),
    ("SELECT Id FROM Account WHERE Name like '_cme'", "where", "(LIKE Name '_cme')"),
    (
        "SELECT Id FROM Account WHERE Name LIKE 'Ter\\%'",
        "where",
        "(LIKE Name 'Ter\\\\%')",
    ),
    (
        "SELECT Id FROM Account WHERE Name IN ('a', 'b', 'c')",
        "where",
        "(IN Name ['a', 'b', 'c'])",
    ),
    ("SELECT Id FROM Account WHERE Name NOT IN ('a')", "where", "(NOT IN Name ['a'])"),
    (
        "SELECT Id FROM Account WHERE NumberOfEmployees IN (1, 2.5, null)",
        "where",
        "(IN NumberOfEmployees [1, Decimal('2.5'), None])",
    ),
    (
        "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact)",
        "where",
        "(IN Id (SELECT AccountId FROM Contact))",
    ),
    (
        "SELECT Id FROM Account WHERE Id NOT IN "
        "(SELECT AccountId FROM Opportunity WHERE IsClosed = false)",
        "where",
        "(NOT IN Id (SELECT AccountId FROM Opportunity WHERE (= IsClosed False)))",
    ),
    (
        "SELECT Id FROM Contact WHERE AccountId IN "
        "(SELECT Id FROM Account WHERE Name LIKE 'A%') AND LastName != null",
        "where",
        "(AND (IN AccountId (SELECT Id FROM Account WHERE (LIKE Name 'A%'))) "
        "(!= LastName None))",
    ),
    (
        "SELECT Id FROM Contact WHERE Interests__c INCLUDES ('golf;tennis', 'chess')",
        "where",
        "(INCLUDES Interests__c ['golf;tennis', 'chess'])",
    ),
    (
        "SELECT Id FROM Contact WHERE Interests__c excludes ('golf')",
        "where",
        "(EXCLUDES Interests__c ['golf'])",
    ),
    # WHERE: logic
    (
        "SELECT Id FROM Account WHERE Name = 'a' AND Type = 'b'",
        "where",
        "(AND (= Name 'a') (= Type 'b'))",
    ),
    (
        "SELECT Id FROM Account WHERE Name = 'a' OR Name = 'b' OR Name = 'c'",
        "where",
        "(OR (= Name 'a') (= Name 'b') (= Name 'c'))",
    ),
    (
        "SELECT Id FROM Account WHERE a = 1 AND (b = 2 OR c = 3)",
        "where",
        "(AND (= a 1) (OR (= b 2) (= c 3)))",
    ),
    (
        "SELECT Id FROM Account WHERE (a = 1 AND b = 2) OR c = 3",
        "where",
        "(OR (AND (= a 1) (= b 2)) (= c 3))",
    ),
    ("SELECT Id FROM Account WHERE NOT Name = 'x'", "where", "(NOT (= Name 'x'))"),
    (
        "SELECT Id FROM Account WHERE NOT (Name = 'x' OR Name = 'y')",
        "where",
        "(NOT (OR (= Name 'x') (= Name 'y')))",
    ),
    (
        "SELECT Id FROM Account WHERE a = 1 AND NOT b = 2",
        "where",
        "(AND (= a 1) (NOT (= b 2)))",
    ),
    ("SELECT Id FROM Account WHERE ((Name = 'x'))", "where", "(= Name 'x')"),
    (
        "SELECT Id FROM Account WHERE NOT NOT Name = 'x'",
        "where",
        "(NOT (NOT (= Name 'x')))",
    ),
    (
        "SELECT Id FROM Account WHERE (a = 1 OR b = 2) AND (c = 3 OR d = 4)",
        "where",
        "(AND (OR (= a 1) (= b 2)) (OR (= c 3) (= d 4)))",
    ),
    # USING SCOPE, WITH
    ("SELECT Id FROM Account USING SCOPE mine", "using_scope", "MINE"),
    (
        "SELECT Id FROM Account USING SCOPE Everything WHERE Name = 'x'",
        "query",
        "SELECT Id FROM Account USING SCOPE EVERYTHING WHERE (= Name 'x')",
    ),
    (
        "SELECT Id FROM Account WITH SECURITY_ENFORCED",
        "with_clause",
        "SECURITY_ENFORCED",
    ),
    ("SELECT Id FROM Account WITH user_mode", "with_clause", "USER_MODE"),
    (
        "SELECT Id FROM Account WHERE Name = 'x' WITH SYSTEM_MODE LIMIT 1",
        "with_clause",
        "SYSTEM_MODE",
    ),
    (
        "SELECT Title FROM KnowledgeArticleVersion WHERE PublishStatus = 'online' "
        "WITH DATA CATEGORY Geography__c AT (usa__c, uk__c) "
        "AND Product__c ABOVE_OR_BELOW mobile__c",
        "with_clause",
        "DATA CATEGORY Geography__c AT (usa__c, uk__c) AND Product__c ABOVE_OR_BELOW "
        "mobile__c",
    ),
    (
        "SELECT Title FROM Question WITH DATA CATEGORY Product__c below All__c",
        "with_clause",
        "DATA CATEGORY Product__c BELOW All__c",
    ),
    # GROUP BY, HAVING
    ("SELECT Type FROM Account GROUP BY Type", "group_by", "PLAIN(Type)"),
    (
        "SELECT Type, Industry FROM Account GROUP BY Type, Industry",
        "group_by",
        "PLAIN(Type, Industry)",
    ),
    (
        "SELECT Type, Industry FROM Account GROUP BY ROLLUP(Type, Industry)",
        "group_by",
        "ROLLUP(Type, Industry)",
    ),
    ("SELECT Type FROM Account GROUP BY cube(Type)", "group_by", "CUBE(Type)"),
    (
        "SELECT Account.Name, COUNT(Id) FROM Contact GROUP BY Account.Name",
        "group_by",
        "PLAIN(Account.Name)",
    ),
    (
        "SELECT LeadSource, COUNT(Name) FROM Lead GROUP BY LeadSource "
        "HAVING COUNT(Name) > 100",
        "having",
        "(> COUNT(Name) 100)",
    ),
    (
        "SELECT Name, COUNT(Id) FROM Account GROUP BY Name "
        "HAVING COUNT(Id) > 1 AND Name LIKE 'A%'",
        "having",
        "(AND (> COUNT(Id) 1) (LIKE Name 'A%'))",
    ),
    # ORDER BY, LIMIT, OFFSET
    ("SELECT Id FROM Account ORDER BY Name", "order_by", "Name ASC"),
    ("SELECT Id FROM Account ORDER BY Name asc", "order_by", "Name ASC"),
    ("SELECT Id FROM Account ORDER BY Name DESC", "order_by", "Name DESC"),
    (
        "SELECT Id FROM Account ORDER BY Name DESC NULLS LAST, CreatedDate",
        "order_by",
        "Name DESC NULLS LAST, CreatedDate ASC",
    ),
    (
        "SELECT Id FROM Account ORDER BY Name NULLS first",
        "order_by",
        "Name ASC NULLS FIRST",
    ),
    (
        "SELECT Id FROM Account ORDER BY Owner.Name ASC NULLS LAST",
        "order_by",
        "Owner.Name ASC NULLS LAST",
    ),
    (
        "SELECT Type, COUNT(Id) c FROM Account GROUP BY Type ORDER BY COUNT(Id) DESC",
        "order_by",
        "COUNT(Id) DESC",
    ),
    ("SELECT Id FROM Account LIMIT 10", "limit", "10"),
    ("SELECT Id FROM Account LIMIT 0", "limit", "0"),
    ("SELECT Id FROM Account LIMIT 10 OFFSET 20", "offset", "20"),
    ("SELECT Id FROM Account OFFSET 5", "offset", "5"),
    (
        "SELECT Id FROM Account WHERE Name != null ORDER BY Name LIMIT 5 OFFSET 5",
        "query",
        "SELECT Id FROM Account WHERE (!= Name None) ORDER BY Name ASC "
        "LIMIT 5 OFFSET 5",
    ),
    # FOR and UPDATE
    ("SELECT Id FROM Account FOR VIEW", "for_clause", "VIEW"),
    ("SELECT Id FROM Account LIMIT 1 FOR REFERENCE", "for_clause", "REFERENCE"),
    ("SELECT Id FROM Account WHERE Id = 'x' FOR UPDATE", "for_clause", "UPDATE"),
    ("SELECT Id FROM FAQ__kav UPDATE TRACKING", "update_clause", "TRACKING"),
    (
        "SELECT Id FROM FAQ__kav UPDATE VIEWSTAT, TRACKING",
        "update_clause",
        "VIEWSTAT, TRACKING",
    ),
    ("SELECT Id FROM Account FOR VIEW FOR UPDATE", "for_clause", "VIEW, UPDATE"),
    (
        "SELECT Id FROM FAQ__kav FOR VIEW UPDATE VIEWSTAT",
        "query",
        "SELECT Id FROM FAQ__kav FOR VIEW UPDATE VIEWSTAT",
    ),
    # layout
    (
        "SELECT Id,\n       Name\n  FROM Account\n WHERE Name = 'x'\n",
        "query",
        "SELECT Id, Name FROM Account WHERE (= Name 'x')",
    ),
    ("\tSELECT\tId\tFROM\tAccount\t", "query", "SELECT Id FROM Account"),
    ("SELECT Id\r\nFROM Account\r\nLIMIT 1", "limit", "1"),
    (
        "SELECT Id FROM Account WHERE Name = 'line\nbreak'",
        "where",
        "(= Name 'line\\nbreak')",
    ),
    (
        "SELECT Id FROM Account WHERE Name = 'l\\u00e9on'",
        "where",
        "(= Name 'léon')",
    ),
    (
        "SELECT Id FROM Account WHERE Name = 'Bob\\'s BBQ'",
        "where",
        '(= Name "Bob\'s BBQ")',
    ),
    (
        "SELECT Id FROM Account WHERE Name = 'a%b_c'",
        "where",
        "(= Name 'a%b_c')",
    ),
]

# (query, line, column, detail) of queries Salesforce refuses.
INVALID = [
    ("", 1, 1, "unexpected token: '<EOF>'"),
    ("   ", 1, 1, "unexpected token: '<EOF>'"),
    ("SELECT", 1, 7, "unexpected token: '<EOF>'"),
    ("SELECT Id", 1, 10, "unexpected token: '<EOF>'"),
    ("SELECT Id FROM", 1, 15, "unexpected token: '<EOF>'"),
    ("SELECT Id FROM Account WHERE", 1, 29, "unexpected token: '<EOF>'"),
    ("SELECT Id FROM Account WHERE Name =  \n", 1, 36, "unexpected token: '<EOF>'"),
    ("SELECT Id FROM Account LIMIT", 1, 29, "unexpected token: '<EOF>'"),
    ("SELECT FROM Account", 1, 8, "unexpected token: 'FROM'"),
    ("SELECT Id, FROM Account", 1, 12, "unexpected token: 'FROM'"),
    ("SELECT Id,Name FROM FROM Account", 1, 21, "unexpected token: 'FROM'"),
    ("SELECT Id Name Type FROM Account", 1, 16, "unexpected token: 'Type'"),
    ("SELEC Id FROM Account", 1, 1, "unexpected token: 'SELEC'"),
    ("Id FROM Account", 1, 1, "unexpected token: 'Id'"),
    ("SELECT Id FROM Account WHERE Name = :name", 1, 37, "unexpected token: ':'"),
    ("SELECT Id FROM Account WHERE Id IN :ids", 1, 36, "unexpected token: ':'"),
    ("SELECT Id FROM Account // all", 1, 24, "unexpected token: '/'"),
    ("SELECT Id /* x */ FROM Account", 1, 11, "unexpected token: '/'"),
    ('SELECT Id FROM Account WHERE Name = "x"', 1, 37, "unexpected token: '\"'"),
    ("SELECT Id FROM Account WHERE Name = 'x", 1, 37, "unterminated string literal"),
    ("SELECT Id FROM Account WHERE Name = Acme", 1, 37, "unexpected token: 'Acme'"),
    ("SELECT Id FROM Account WHERE Name == 'x'", 1, 36, "unexpected token: '='"),
    (
        "SELECT Id FROM Account WHERE a = 1 AND b = 2 OR c = 3",
        1,
        46,
        "unexpected token: 'OR'",
    ),
    (
        "SELECT Id FROM Account WHERE a = 1 OR b = 2 AND c = 3",
        1,
        45,
        "unexpected token: 'AND'",
    ),
    ("SELECT Id FROM Account WHERE (a = 1", 1, 36, "unexpected token: '<EOF>'"),
    ("SELECT Id FROM Account WHERE a = 1)", 1, 35, "unexpected token: ')'"),
    ("SELECT Id FROM Account WHERE Name IN ()", 1, 39, "unexpected token: ')'"),
    ("SELECT Id FROM Account WHERE Name LIKE 5", 1, 40, "unexpected token: '5'"),
    (
        "SELECT Id FROM Account WHERE Tags__c INCLUDES (1)",
        1,
        48,
        "unexpected token: '1'",
    ),
    (
        "SELECT Id FROM Account LIMIT 5 WHERE Name = 'x'",
        1,
        32,
        "unexpected token: 'WHERE'",
    ),
    ("SELECT Id FROM Account LIMIT 5 LIMIT 6", 1, 32, "unexpected token: 'LIMIT'"),
    ("SELECT Id FROM Account OFFSET 5 LIMIT 6", 1, 33, "unexpected token: 'LIMIT'"),
    (
        "SELECT Id FROM Account ORDER BY Name WHERE a = 1",
        1,
        38,
        "unexpected token: 'WHERE'",
    ),
    ("SELECT Id FROM Account FOR UPDATE FOR VIEW", 1, 35, "unexpected token: 'FOR'"),
    ("SELECT Id FROM Account LIMIT -1", 1, 30, "unexpected token: '-1'"),
    ("SELECT Id FROM Account LIMIT 1.5", 1, 31, "unexpected token: '.5'"),
    ("SELECT Id FROM Account LIMIT ten", 1, 30, "unexpected token: 'ten'"),
    ("SELECT Id FROM Account ORDER BY Name NULLS", 1, 43, "unexpected token: '<EOF>'"),
    ("SELECT Id FROM Account ORDER Name", 1, 30, "unexpected token: 'Name'"),
    ("SELECT Id FROM Account GROUP Type", 1, 30, "unexpected token: 'Type'"),
    ("SELECT Id FROM Account WITH CHECKS", 1, 29, "unexpected token: 'CHECKS'"),
    ("SELECT Id FROM Account USING mine", 1, 30, "unexpected token: 'mine'"),
    ("SELECT Id FROM Account UPDATE VIEW", 1, 31, "unexpected token: 'VIEW'"),
    ("SELECT Id FROM Account Like", 1, 24, "unexpected token: 'Like'"),
    ("SELECT Id FROM Account Offset", 1, 30, "unexpected token: '<EOF>'"),
    ("SELECT Name Like FROM Account", 1, 13, "unexpected token: 'Like'"),
    ("SELECT COUNT(Id) Group FROM Account", 1, 18, "unexpected token: 'Group'"),
    ("SELECT COUNT() c FROM Account", 1, 16, "unexpected token: 'c'"),
    ("SELECT Foo(Id) FROM Account", 1, 8, "unknown function: 'Foo'"),
    (
        "SELECT COUNT(Id, Name) FROM Account",
        1,
        8,
        "COUNT takes 0 or 1 arguments, not 2",
    ),
    ("SELECT SUM() FROM Account", 1, 8, "SUM takes 1 argument, not 0"),
    ("SELECT SUM('x') FROM Account", 1, 12, "unexpected token: ''x''"),
    ("SELECT FIELDS(EVERYTHING) FROM Account", 1, 15, "unexpected token: 'EVERYTHING'"),
    (
        "SELECT Id FROM Account WHERE FIELDS(ALL) = 1",
        1,
        30,
        "unexpected token: 'FIELDS'",
    ),
    ("SELECT COUNT(FIELDS(ALL)) FROM Account", 1, 14, "unexpected token: 'FIELDS'"),
    ("SELECT ROLLUP(Type) FROM Account", 1, 8, "unexpected token: 'ROLLUP'"),
    (
        "SELECT Type FROM Account GROUP BY Name, ROLLUP(Type)",
        1,
        41,
        "unexpected token: 'ROLLUP'",
    ),
    ("SELECT Id FROM X WHERE GEOLOCATION(a, 2) = 1", 1, 36, "unexpected token: 'a'"),
    (
        "SELECT Id FROM X WHERE DISTANCE(L__c, GEOLOCATION(1, 2), 'ft') < 1",
        1,
        58,
        "unexpected token: ''ft''",
    ),
    (
        "SELECT TYPEOF What WHEN Account THEN Name FROM Event",
        1,
        43,
        "unexpected token: 'FROM'",
    ),
    ("SELECT TYPEOF What ELSE Name END FROM Event", 1, 20, "unexpected token: 'ELSE'"),
    (
        "SELECT Id FROM Case WHERE CreatedDate = LAST_N_DAYS",
        1,
        41,
        "unexpected token: 'LAST_N_DAYS'",
    ),
    ("SELECT Id FROM Case WHERE CreatedDate = TODAY:3", 1, 46, "unexpected token: ':'"),
    (
        "SELECT Id FROM Case WHERE CreatedDate = NEXT_DECADE",
        1,
        41,
        "unexpected token: 'NEXT_DECADE'",
    ),
    (
        "SELECT Id FROM Case WHERE CreatedDate > 2024-01-15T10:30:00",
        1,
        41,
        "invalid datetime: '2024-01-15T10:30:00' (expected "
        "YYYY-MM-DDThh:mm:ss[.sss] followed by Z, +hh:mm or +hhmm)",
    ),
    (
        "SELECT Id FROM Case WHERE CloseDate = 2024-13-01",
        1,
        39,
        "invalid date: '2024-13-01' (expected YYYY-MM-DD)",
    ),
    (
        "SELECT Id FROM Case WHERE Subject = 'a\\qb'",
        1,
        37,
        "Invalid string literal 'a\\qb'. "
        "Illegal character sequence '\\q' in string literal.",
    ),
    (
        "SELECT Id FROM Case WHERE Subject = 'a\\_b'",
        1,
        37,
        "Invalid string literal 'a\\_b'. "
        "Illegal character sequence '\\_' in string literal.",
    ),
    ("SELECT Id FROM Account WHERE Name = 'x' AND", 1, 44, "unexpected token: '<EOF>'"),
    ("SELECT Id FROM Account WHERE NOT", 1, 33, "unexpected token: '<EOF>'"),
    (
        "SELECT Id FROM Account WHERE Name NOT LIKE 'x'",
        1,
        39,
        "unexpected token: 'LIKE'",
    ),
    ("SELECT (SELECT Id FROM Contacts FROM Account", 1, 33, "unexpected token: 'FROM'"),
    ("SELECT Id FROM Account, Contact", 1, 23, "unexpected token: ','"),
    ("SELECT Id FROM Account;", 1, 23, "unexpected token: ';'"),
    (
        "SELECT Id FROM Account\nWHERE Name = 'x'\nORDER BY",
        3,
        9,
        "unexpected token: '<EOF>'",
    ),
    ("SELECT Id\nFROM Account\nWHERE Name = :n", 3, 14, "unexpected token: ':'"),
]


@pytest.mark.parametrize(
    ("text", "part", "expected"), VALID, ids=[case[0][:70] for case in VALID]
)
def test_valid_query_has_expected_shape(text: str, part: str, expected: str) -> None:
    query = parse(text)
    assert show(query if part == "query" else getattr(query, part)) == expected


@pytest.mark.parametrize(
    ("text", "line", "column", "detail"),
    INVALID,
    ids=[case[0][:70] for case in INVALID],
)
def test_invalid_query_is_reported_at_its_token(
    text: str, line: int, column: int, detail: str
) -> None:
    with pytest.raises(SoqlSyntaxError) as caught:
        parse(text)
    error = caught.value
    assert (error.line, error.column, error.detail) == (line, column, detail)
    assert error.query == text
    assert str(error).endswith(f"ERROR at Row:{line}:Column:{column}\n{detail}")


def test_table_has_at_least_150_queries() -> None:
    assert len(VALID) + len(INVALID) >= 150


def test_parser_is_built_once() -> None:
    from sfmagic.soql import parser

    parse("SELECT Id FROM Account")
    built = parser._lark()
    for text, _, _ in VALID[:20]:
        parse(text)
    assert parser._lark() is built
    assert parser._lark.cache_info().currsize == 1


POSITIONED = (
    "SELECT Id, Account.Name,\n"
    "  (SELECT LastName FROM Contacts)\n"
    "FROM Contact c\n"
    "WHERE NOT Name = 'x' AND CreatedDate = LAST_N_DAYS:3\n"
    "GROUP BY Id ORDER BY Name DESC"
)


def test_nodes_carry_the_position_of_their_first_token() -> None:
    query = parse(POSITIONED)
    first, second, subquery = query.select
    assert isinstance(query.where, ast.And)
    negation, recent = query.where.items
    assert isinstance(negation, ast.Not)
    assert isinstance(recent, ast.Comparison)
    assert query.group_by is not None
    assert subquery.query is not None

    assert query.pos == ast.Position(1, 1)
    assert (first.pos, second.pos) == (ast.Position(1, 8), ast.Position(1, 12))
    assert subquery.pos == ast.Position(2, 3)
    assert subquery.query.pos == ast.Position(2, 4)
    assert subquery.query.select[0].pos == ast.Position(2, 11)
    assert subquery.query.sobject_pos == ast.Position(2, 25)
    assert query.sobject_pos == ast.Position(3, 6)
    assert query.where.pos == negation.pos == ast.Position(4, 7)
    assert negation.item.pos == ast.Position(4, 11)
    assert recent.pos == recent.left.pos == ast.Position(4, 26)
    assert recent.right.pos == ast.Position(4, 40)
    assert query.group_by.pos == ast.Position(5, 1)
    assert query.group_by.items[0].pos == ast.Position(5, 10)
    assert query.order_by[0].pos == ast.Position(5, 22)


def test_positions_inside_functions_typeof_and_lists() -> None:
    query = parse(
        "SELECT TYPEOF What WHEN Account THEN Name END, COUNT(Id) n\n"
        "FROM Event WHERE Type IN ('a', 'b') AND Tags__c INCLUDES ('x')"
    )
    typeof, count = query.select
    assert isinstance(typeof.expr, ast.TypeOf)
    assert typeof.expr.pos == ast.Position(1, 8)
    assert typeof.expr.relationship.pos == ast.Position(1, 15)
    assert typeof.expr.whens[0].pos == ast.Position(1, 20)
    assert typeof.expr.whens[0].fields[0].pos == ast.Position(1, 38)
    assert isinstance(count.expr, ast.FunctionCall)
    assert count.expr.pos == ast.Position(1, 48)
    assert count.expr.args[0].pos == ast.Position(1, 54)
    assert isinstance(query.where, ast.And)
    in_list, includes = query.where.items
    assert isinstance(in_list, ast.InList)
    assert isinstance(includes, ast.Includes)
    assert [value.pos for value in in_list.values] == [
        ast.Position(2, 27),
        ast.Position(2, 32),
    ]
    assert includes.values[0].pos == ast.Position(2, 59)


def test_function_keeps_its_spelling() -> None:
    query = parse("SELECT toLabel(Status), convertCurrency(Amount) FROM Case")
    calls = [item.expr for item in query.select]
    assert [(c.name, c.spelling) for c in calls if isinstance(c, ast.FunctionCall)] == [
        ("TOLABEL", "toLabel"),
        ("CONVERTCURRENCY", "convertCurrency"),
    ]


def test_error_in_a_later_row_shows_that_row() -> None:
    with pytest.raises(SoqlSyntaxError) as caught:
        parse("SELECT Id\nFROM Account\nWHERE Name = :n")
    assert str(caught.value) == (
        "\nWHERE Name = :n\n             ^\nERROR at Row:3:Column:14\n"
        "unexpected token: ':'"
    )
    assert caught.value.token == ":"


def test_end_of_input_has_no_token() -> None:
    with pytest.raises(SoqlSyntaxError) as caught:
        parse("SELECT Id FROM Account WHERE\n\n")
    assert caught.value.token is None
    assert (caught.value.line, caught.value.column) == (1, 29)


def test_parse_is_safe_from_several_threads() -> None:
    texts = [text for text, _, _ in VALID]
    expected = [parse(text) for text in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(parse, texts)) == expected
