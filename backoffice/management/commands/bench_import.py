"""Benchmark the order import: a generated 100,000-row PDD order export (GBK CSV), checked, imported and imported
again (the idempotent pass). Prints time, rows per second and the process's peak memory after each phase."""

import csv
import datetime as dt
import random
import resource
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from backoffice.models import ImportJob
from backoffice.platform.importing import jobs

HEADER = [
    "订单号", "订单状态", "商品", "商品规格", "商品数量(件)", "商品总价(元)", "店铺优惠折扣(元)", "邮费(元)",
    "用户实付金额(元)", "支付时间", "发货时间", "确认收货时间", "快递公司", "快递单号", "售后状态", "收货人", "手机",
    "省", "市", "区", "详细地址", "商家备注",
]  # fmt: skip
PRODUCTS = [
    ("纯棉短袖T恤", ["白色 S", "白色 M", "白色 L", "黑色 M", "黑色 L"], 5990),
    ("保温杯 500ml", ["星空蓝", "樱花粉", "奶白"], 3900),
    ("无线蓝牙耳机", ["标准版", "降噪版"], 12900),
    ("加厚珊瑚绒毛毯", ["1.5m", "2m"], 8900),
    ("儿童运动鞋", ["28码", "30码", "32码", "34码"], 6900),
]
STATUSES = ["待发货"] * 2 + ["已发货，待签收"] * 3 + ["已签收"] * 2 + ["交易成功"] * 6 + ["已取消"]
COURIERS = ["中通快递", "圆通速递", "韵达快递", "申通快递", "极兔速递", "顺丰速运", "邮政快递包裹", "京东快递"]
PLACES = [("浙江省", "杭州市", "余杭区"), ("广东省", "深圳市", "南山区"), ("江苏省", "南京市", "鼓楼区")]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


class Command(BaseCommand):
    help = "Time the import of a generated PDD order export (default 100,000 rows). Target: under 60 s, flat memory."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=100_000)
        parser.add_argument("--customers", type=int, default=0, help="distinct receivers (default: rows / 3)")

    def handle(self, *args, rows: int, customers: int, **options):
        if rows < 1:
            raise CommandError("--rows must be at least 1")
        with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
            path = Path(folder) / "orders_export.csv"
            started = time.perf_counter()
            self.generate(path, rows, customers or max(rows // 3, 1))
            generated = time.perf_counter() - started
            size_mb = path.stat().st_size / 1024 / 1024
            self.stdout.write(f"Generated {rows:,} rows ({size_mb:.1f} MB, GBK) in {generated:.1f} s")
            results = []
            job = jobs.create_job(source=path, original_name=path.name, kind=ImportJob.Kind.ORDERS)
            results.append(self.phase("check (dry run)", job, rows))
            job = jobs.start_import(job=ImportJob.objects.get(pk=job.pk))
            results.append(self.phase("import", job, rows))
            again = jobs.create_job(source=path, original_name=path.name, kind=ImportJob.Kind.ORDERS, check=False)
            results.append(self.phase("same file again", again, rows))
            for stored in (job, again):
                (Path(settings.MEDIA_ROOT) / stored.file_path).unlink(missing_ok=True)
        self.stdout.write(f"\nOrder import benchmark: {rows:,} rows, {connection.vendor}, batches of {jobs.BATCH_ROWS}")
        self.stdout.write(
            f"{'phase':<18} {'seconds':>8} {'rows/s':>9} {'created':>9} {'updated':>8} {'unchanged':>10} "
            f"{'rejected':>9} {'peak RSS MB':>12} {'RSS at 10%':>11}"
        )
        self.stdout.write("-" * 102)
        for label, seconds, job, rss, rss_early in results:
            self.stdout.write(
                f"{label:<18} {seconds:>8.1f} {rows / seconds:>9,.0f} {job.created:>9,} {job.updated:>8,} "
                f"{job.unchanged:>10,} {job.rejected:>9,} {rss:>12.0f} {rss_early:>11.0f}"
            )
        imported = results[1][1]
        verdict = "OK" if imported < 60 else "SLOWER THAN THE 60 s TARGET"
        self.stdout.write(f"\nimport of {rows:,} rows: {imported:.1f} s — {verdict}")

    def phase(self, label: str, job: ImportJob, rows: int):
        early = {"rss": 0.0}

        def progress(done: int, fraction: float) -> None:
            if not early["rss"] and done >= rows / 10:
                early["rss"] = peak_rss_mb()

        started = time.perf_counter()
        job = jobs.run_job(job.pk, on_progress=progress)
        seconds = time.perf_counter() - started
        if job.state == ImportJob.State.FAILED:
            raise CommandError(f"{label}: {job.message}")
        if job.state == ImportJob.State.CHECKED:
            job.created, job.updated, job.unchanged, job.rejected = (
                job.preview["create"],
                job.preview["update"],
                job.preview["unchanged"],
                job.preview["reject"],
            )
        return label, seconds, job, peak_rss_mb(), early["rss"] or peak_rss_mb()

    def generate(self, path: Path, rows: int, customers: int) -> None:
        """Streams the rows to disk: the generator holds one row at a time too."""
        rng = random.Random(8)  # noqa: S311 - benchmark data
        run = int(time.time()) % 100_000
        today = timezone.localdate()
        now = timezone.localtime()
        with open(path, "w", encoding="gbk", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            for n in range(rows):
                name, specs, price = PRODUCTS[n % len(PRODUCTS)]
                quantity = 1 + (n % 7 == 0)
                paid_at = now - dt.timedelta(minutes=rng.randint(60, 60 * 24 * 30))
                status = rng.choice(STATUSES)
                shipped = status not in ("待发货", "已取消")
                customer = rng.randrange(customers)
                province, city, district = PLACES[customer % len(PLACES)]
                writer.writerow(
                    [
                        f"{today:%y%m%d}-{run:05d}{n:010d}",
                        status,
                        name,
                        specs[n % len(specs)],
                        quantity,
                        f"{price * quantity / 100:.2f}",
                        "0",
                        "0",
                        f"￥{price * quantity / 100:.2f}",
                        f"{paid_at:%Y-%m-%d %H:%M:%S}",
                        f"{paid_at + dt.timedelta(hours=20):%Y/%m/%d %H:%M}" if shipped else "",
                        f"{paid_at + dt.timedelta(days=5):%Y-%m-%d %H:%M:%S}" if status == "交易成功" else "",
                        COURIERS[n % len(COURIERS)] if shipped else "",
                        f"{7700000000000 + n}" if shipped else "",
                        "无售后或售后取消",
                        SURNAMES[customer % len(SURNAMES)] + "先生",
                        f"138{customer:08d}",
                        province,
                        city,
                        district,
                        f"幸福路 {customer % 500} 号",
                        "",
                    ]
                )
