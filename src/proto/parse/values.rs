//! Flags and dates: `flag`, `flag-list`, `date` and `date-time`.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};

use super::{PResult, Parser};
use crate::proto::types::Flag;
use crate::proto::write::MONTHS;

impl Parser<'_> {
    /// `flag-list = "(" [flag *(SP flag)] ")"`
    pub(super) fn flag_list(&mut self) -> PResult<Vec<Flag>> {
        self.expect(b'(', "( opening the flag list")?;
        let mut flags = Vec::new();
        if self.eat(b')') {
            return Ok(flags);
        }
        loop {
            flags.push(self.flag()?);
            if self.eat(b')') {
                return Ok(flags);
            }
            self.expect(b' ', "SP or ) in the flag list")?;
        }
    }

    /// `flag = "\" atom / flag-keyword` (system flags are `\` atoms).
    pub(super) fn flag(&mut self) -> PResult<Flag> {
        let system = self.eat(b'\\');
        let atom = self.atom().map_err(|_| self.expected("flag"))?;
        let atom =
            String::from_utf8(atom.to_vec()).map_err(|_| self.fail("flag is not UTF-8".into()))?;
        if system {
            Ok(Flag::from_wire(&format!("\\{atom}")))
        } else {
            Ok(Flag::Keyword(atom))
        }
    }

    /// `date = date-text / DQUOTE date-text DQUOTE`
    pub(super) fn date(&mut self) -> PResult<NaiveDate> {
        let quoted = self.eat(b'"');
        let date = self.date_text()?;
        if quoted {
            self.expect(b'"', "\" closing the date")?;
        }
        Ok(date)
    }

    /// `date-text = date-day "-" date-month "-" date-year`
    fn date_text(&mut self) -> PResult<NaiveDate> {
        let day = self.digits(1, 2, "date (d-Mon-yyyy)")?;
        self.expect(b'-', "- in the date")?;
        let month = self.date_month()?;
        self.expect(b'-', "- in the date")?;
        let year = self.digits(4, 4, "4-digit year")?;
        NaiveDate::from_ymd_opt(year as i32, month, day)
            .ok_or_else(|| self.fail("no such date".into()))
    }

    /// `date-month = "Jan" / "Feb" / ...`, as 1 to 12.
    fn date_month(&mut self) -> PResult<u32> {
        let rest = self.rest();
        let name = rest.get(..3).unwrap_or(rest);
        let month = MONTHS
            .iter()
            .position(|m| m.as_bytes().eq_ignore_ascii_case(name));
        let Some(month) = month else {
            return Err(self.expected("month name"));
        };
        self.pos += 3;
        Ok(month as u32 + 1)
    }

    /// `date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP
    /// time SP zone DQUOTE`; the day may also be one digit.
    pub(super) fn date_time(&mut self) -> PResult<DateTime<FixedOffset>> {
        self.expect(b'"', "date-time")?;
        self.eat(b' ');
        let date = self.date_text()?;
        self.sp_after("date")?;
        let time = self.time()?;
        self.sp_after("time")?;
        let zone = self.zone()?;
        self.expect(b'"', "\" closing the date-time")?;
        date.and_time(time)
            .and_local_timezone(zone)
            .single()
            .ok_or_else(|| self.fail("invalid date-time".into()))
    }

    /// `time = 2DIGIT ":" 2DIGIT ":" 2DIGIT`
    fn time(&mut self) -> PResult<NaiveTime> {
        let h = self.digits(2, 2, "hh:mm:ss")?;
        self.expect(b':', ": in the time")?;
        let m = self.digits(2, 2, "hh:mm:ss")?;
        self.expect(b':', ": in the time")?;
        let s = self.digits(2, 2, "hh:mm:ss")?;
        NaiveTime::from_hms_opt(h, m, s).ok_or_else(|| self.fail("no such time".into()))
    }

    /// `zone = ("+" / "-") 4DIGIT`
    fn zone(&mut self) -> PResult<FixedOffset> {
        let sign = match self.peek() {
            Some(b'+') => 1,
            Some(b'-') => -1,
            _ => return Err(self.expected("time zone (+hhmm or -hhmm)")),
        };
        self.pos += 1;
        let hhmm = self.digits(4, 4, "time zone (+hhmm or -hhmm)")? as i32;
        let (h, m) = (hhmm / 100, hhmm % 100);
        if m > 59 {
            return Err(self.fail("invalid time zone".into()));
        }
        FixedOffset::east_opt(sign * (h * 3600 + m * 60))
            .ok_or_else(|| self.fail("invalid time zone".into()))
    }

    /// Between `min` and `max` decimal digits as a number.
    fn digits(&mut self, min: usize, max: usize, what: &str) -> PResult<u32> {
        let rest = self.rest();
        let n = rest
            .iter()
            .take(max)
            .take_while(|b| b.is_ascii_digit())
            .count();
        if n < min {
            return Err(self.expected(what));
        }
        self.pos += n;
        Ok(rest[..n]
            .iter()
            .fold(0, |acc, &b| acc * 10 + u32::from(b - b'0')))
    }
}
